using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.ApiKeys;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Compat;

/// <summary>
/// What our own pipeline answers before a compatibility handler runs (no key, a scope refusal,
/// the rate limit, a body over the limit, an unknown route) comes in the provider's error shape,
/// never as our problem+json, an empty body or a 500. And a send-scoped key may send through
/// them, as through POST /messages.
/// </summary>
public sealed class CompatPipelineErrorTests : IAsyncLifetime
{
    private readonly SendApiApp _app = new(new Dictionary<string, string?> { ["Messages:MaxSizeBytes"] = "1024" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}, not {(int)status}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    private const string ResendMail = """{"from":"a@acme.test","to":"b@example.test","subject":"s","text":"t"}""";
    private const string PostmarkMail = """{"From":"a@acme.test","To":"b@example.test","Subject":"s","TextBody":"t"}""";
    private const string SendGridMail = """{"from":{"email":"a@acme.test"},"subject":"s","content":[{"type":"text/plain","value":"t"}],"personalizations":[{"to":[{"email":"b@example.test"}]}]}""";

    [Fact]
    public async Task Without_a_key_each_provider_answers_in_its_shape_naming_the_header_its_sdk_sends()
    {
        using var anonymous = _app.Client(apiKey: null);

        var resend = await BodyAsync(await anonymous.PostAsync("/compat/resend/emails", Json(ResendMail)), HttpStatusCode.Unauthorized);
        Assert.Equal(("missing_api_key", 401), ((string?)resend["name"], (int)resend["statusCode"]!));

        var postmark = await BodyAsync(await anonymous.PostAsync("/compat/postmark/email", Json(PostmarkMail)), HttpStatusCode.Unauthorized);
        Assert.Equal(10, (int)postmark["ErrorCode"]!);
        Assert.Equal("An API key is required: send 'X-Postmark-Server-Token: <api key>'.", (string?)postmark["Message"]);

        var sendGrid = await BodyAsync(await anonymous.PostAsync("/compat/sendgrid/v3/mail/send", Json(SendGridMail)), HttpStatusCode.Unauthorized);
        Assert.Equal("An API key is required: send 'Authorization: Bearer <api key>'.", (string?)sendGrid["errors"]![0]!["message"]);
    }

    [Fact]
    public async Task A_send_key_sends_through_every_provider_and_a_read_key_is_refused_in_the_providers_shape()
    {
        using var sender = _app.ClientOf(await _app.CreateKeyAsync(new { name = "send", scope = "send" }));
        using var reader = _app.ClientOf(await _app.CreateKeyAsync(new { name = "read", scope = "read" }));

        var created = await BodyAsync(await sender.PostAsync("/compat/resend/emails", Json(ResendMail)), HttpStatusCode.OK);
        await BodyAsync(await sender.GetAsync($"/compat/resend/emails/{(string)created["id"]!}"), HttpStatusCode.OK);
        using var postmark = new HttpRequestMessage(HttpMethod.Post, "/compat/postmark/email") { Content = Json(PostmarkMail) };
        postmark.Headers.Authorization = sender.DefaultRequestHeaders.Authorization;
        Assert.Equal(0, (int)(await BodyAsync(await _app.Client(apiKey: null).SendAsync(postmark), HttpStatusCode.OK))["ErrorCode"]!);
        Assert.Equal(HttpStatusCode.Accepted, (await sender.PostAsync("/compat/sendgrid/v3/mail/send", Json(SendGridMail))).StatusCode);

        var refused = await BodyAsync(await reader.PostAsync("/compat/resend/emails", Json(ResendMail)), HttpStatusCode.Forbidden);
        Assert.Equal("restricted_api_key", (string?)refused["name"]);
        Assert.Contains("'read' scope", (string?)refused["message"]);
        var sendGrid = await BodyAsync(await reader.PostAsync("/compat/sendgrid/v3/mail/send", Json(SendGridMail)), HttpStatusCode.Forbidden);
        Assert.Contains("'read' scope", (string?)sendGrid["errors"]![0]!["message"]);

        // Canceling is not sending: as POST /messages/{id}/cancel, closed to a send key.
        var cancel = await BodyAsync(await sender.PostAsync($"/compat/resend/emails/{(string)created["id"]!}/cancel", null), HttpStatusCode.Forbidden);
        Assert.Contains("'send' scope", (string?)cancel["message"]);
    }

    [Fact]
    public async Task The_rate_limit_answers_429_in_the_providers_shape_with_retry_after()
    {
        using var limited = _app.ClientOf(await _app.CreateKeyAsync(new { name = "limited", rate_limit = 1 }));
        await BodyAsync(await limited.PostAsync("/compat/resend/emails", Json(ResendMail)), HttpStatusCode.OK);

        using var response = await limited.PostAsync("/compat/resend/emails", Json(ResendMail));

        var error = await BodyAsync(response, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate_limit_exceeded", (string?)error["name"]);
        Assert.Contains("1 requests per 60 s", (string?)error["message"]);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_postmarks_invalid_request_and_sendgrids_413()
    {
        using var client = _app.Client();
        var huge = new string('x', 2 * 1024 * 1024);

        var postmark = await BodyAsync(await client.PostAsync("/compat/postmark/email", Json($$"""{"TextBody":"{{huge}}"}""")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(300, (int)postmark["ErrorCode"]!);
        Assert.Contains("this server accepts at most", (string?)postmark["Message"]);

        var sendGrid = await BodyAsync(await client.PostAsync("/compat/sendgrid/v3/mail/send", Json($$"""{"subject":"{{huge}}"}""")), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("this server accepts at most", (string?)sendGrid["errors"]![0]!["message"]);

        // Under the request limit but over Messages:MaxSizeBytes once built: the intake's refusal, worded by Resend.
        var resend = await BodyAsync(await client.PostAsync("/compat/resend/emails", Json($$"""{"from":"a@acme.test","to":"b@example.test","subject":"s","text":"{{new string('x', 4000)}}"}""")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("the limit is 1024 bytes (Messages:MaxSizeBytes)", (string?)resend["message"]);
    }

    [Fact]
    public async Task What_the_compatibility_routes_do_not_offer_is_a_providers_404_or_405_not_an_empty_answer()
    {
        using var client = _app.Client();

        var resend = await BodyAsync(await client.GetAsync("/compat/resend/domains"), HttpStatusCode.NotFound);
        Assert.Equal("not_found", (string?)resend["name"]);
        var postmark = await BodyAsync(await client.PostAsync("/compat/postmark/email/bulk", Json("{}")), HttpStatusCode.NotFound);
        Assert.Contains("Nothing is at POST /compat/postmark/email/bulk", (string?)postmark["Message"]);
        var sendGrid = await BodyAsync(await client.GetAsync("/compat/sendgrid/v3/mail/send"), HttpStatusCode.MethodNotAllowed);
        Assert.Contains("does not take GET", (string?)sendGrid["errors"]![0]!["message"]);
    }

    [Fact]
    public async Task Bodies_that_are_not_json_or_do_not_fit_are_refused_in_the_providers_words()
    {
        using var client = _app.Client();

        var syntax = await BodyAsync(await client.PostAsync("/compat/postmark/email", Json("{\"From\":")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(402, (int)syntax["ErrorCode"]!);
        var unknown = await BodyAsync(await client.PostAsync("/compat/postmark/email", Json("""{"Form":"a@acme.test"}""")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal((403, "Incompatible JSON input: Form: unknown field."), ((int)unknown["ErrorCode"]!, (string?)unknown["Message"]));
        var notJson = await BodyAsync(await client.PostAsync("/compat/postmark/email", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(409, (int)notJson["ErrorCode"]!);
        var noTemplate = await BodyAsync(await client.PostAsync("/compat/postmark/email/withTemplate", Json("""{"From":"a@acme.test","To":"b@example.test"}""")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(300, (int)noTemplate["ErrorCode"]!);
        Assert.StartsWith("TemplateId: TemplateId or TemplateAlias is required", (string?)noTemplate["Message"]);
        var noMessages = await BodyAsync(await client.PostAsync("/compat/postmark/email/batchWithTemplates", Json("{}")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Messages: is required, an array of templated messages.", (string?)noMessages["Message"]);

        var wrongType = await BodyAsync(await client.PostAsync("/compat/sendgrid/v3/mail/send", Json("""{"personalizations":{"to":[]}}""")), HttpStatusCode.BadRequest);
        Assert.Equal(("personalizations", "must be an array"), ((string?)wrongType["errors"]![0]!["field"], (string?)wrongType["errors"]![0]!["message"]));

        var resend = await BodyAsync(await client.PostAsync("/compat/resend/emails", Json("""{"to":5}""")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("to: must be a string or an array of strings.", (string?)resend["message"]);

        using var badKey = new HttpRequestMessage(HttpMethod.Post, "/compat/resend/emails") { Content = Json(ResendMail) };
        badKey.Headers.Add("Idempotency-Key", new string('k', 300));
        var invalidKey = await BodyAsync(await client.SendAsync(badKey), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_idempotency_key", (string?)invalidKey["name"]);
    }
}
