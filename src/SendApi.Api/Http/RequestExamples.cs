using System.Text.Json;
using SendApi.Api.Features.ApiKeys;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Submission;
using SendApi.Api.Features.Suppressions;
using SendApi.Api.Features.Templates;
using SendApi.Api.Features.Webhooks;

namespace SendApi.Api.Http;

/// <summary>
/// A realistic body for each request, shown by Swagger UI and filled in by its "Try it out": the
/// README's message rather than "string" in every field, which the API would refuse seven times.
/// </summary>
public static class RequestExamples
{
    /// <summary>
    /// Bodies that are not JSON, by operation id: the media type and an example. The handler reads
    /// them itself (and answers a wrong Content-Type with its own 415), so they are documented here.
    /// </summary>
    public static IReadOnlyDictionary<string, (string MediaType, string Example)> RawBodies { get; } = new Dictionary<string, (string, string)>
    {
        ["SendRawMessage"] = (RawSubmissionApi.ContentType,
            "From: Acme <orders@acme.example>\r\nTo: Bob <bob@example.com>\r\nBcc: audit@acme.example\r\nSubject: Your order #1234\r\nX-SendApi-Tags: orders\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks for your order.\r\n"),
        ["Unsubscribe"] = ("application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"),
    };

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
        [typeof(IReadOnlyList<SendMessageRequest>)] = new List<SendMessageRequest>
        {
            new() { From = "Acme <orders@acme.example>", To = ["bob@example.com"], Subject = "Your order #1234", Text = "Thanks for your order.", Tags = ["orders"] },
            new() { From = "Acme <orders@acme.example>", To = ["carol@example.com"], Subject = "Your order #1235", Text = "Thanks for your order.", ScheduledAt = "2026-12-01T09:00:00Z" },
        },
        [typeof(CreateWebhookRequest)] = new CreateWebhookRequest(
            "https://hooks.acme.example/sendapi",
            ["message.delivered", "message.bounced", "message.failed", "message.complained"]),
        [typeof(CreateApiKeyRequest)] = new CreateApiKeyRequest("shop checkout", "shop", Scope: "send", Domains: ["acme.example"], RateLimit: 600),
        [typeof(CreateDomainRequest)] = new CreateDomainRequest("acme.example"),
        [typeof(CreateSuppressionRequest)] = new CreateSuppressionRequest("bob@example.com", "unsubscribe", "Unsubscribed from the March newsletter"),
        [typeof(TemplateRequest)] = new TemplateRequest(
            "order-confirmation",
            "Your order #{{order.number}}",
            "<p>Hi {{name}},</p><ul>{{#each order.items}}<li>{{qty}} × {{title}}</li>{{/each}}</ul>",
            "Hi {{name}},\n{{#each order.items}}- {{qty}} x {{title}}\n{{/each}}",
            Layout: null),
        [typeof(RenderTemplateRequest)] = new RenderTemplateRequest(
            JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"name": "Bob", "order": {"number": 1234, "items": [{"qty": 2, "title": "Pen"}]}}"""),
            Version: null),
    };
}
