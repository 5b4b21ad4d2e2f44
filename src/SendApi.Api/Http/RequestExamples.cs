using SendApi.Api.Features.ApiKeys;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Suppressions;
using SendApi.Api.Features.Webhooks;

namespace SendApi.Api.Http;

/// <summary>
/// A realistic body for each request, shown by Swagger UI and filled in by its "Try it out": the
/// README's message rather than "string" in every field, which the API would refuse seven times.
/// </summary>
public static class RequestExamples
{
    public static IReadOnlyDictionary<Type, object> ByType { get; } = new Dictionary<Type, object>
    {
        [typeof(SendMessageRequest)] = new SendMessageRequest
        {
            From = "Acme <orders@acme.example>",
            To = ["Bob <bob@example.com>"],
            Subject = "Your order #1234",
            Text = "Thanks for your order.",
            Html = "<p>Thanks for your <b>order</b>.</p>",
            Attachments = [new AttachmentRequest { Filename = "invoice.txt", Content = "SGVsbG8=", ContentType = "text/plain" }],
            Tags = ["orders"],
            Metadata = new Dictionary<string, string> { ["order_id"] = "1234" },
        },
        [typeof(CreateWebhookRequest)] = new CreateWebhookRequest(
            "https://hooks.acme.example/sendapi",
            ["message.delivered", "message.bounced", "message.failed", "message.complained"]),
        [typeof(CreateApiKeyRequest)] = new CreateApiKeyRequest("shop checkout", "shop", Scope: "send", Domains: ["acme.example"], RateLimit: 600),
        [typeof(CreateDomainRequest)] = new CreateDomainRequest("acme.example"),
        [typeof(CreateSuppressionRequest)] = new CreateSuppressionRequest("bob@example.com", "unsubscribe", "Unsubscribed from the March newsletter"),
    };
}
