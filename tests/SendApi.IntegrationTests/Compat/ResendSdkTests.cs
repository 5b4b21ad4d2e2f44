using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Compat;

/// <summary>Resend's official Node SDK (npm "resend" 6.x), unmodified, with RESEND_BASE_URL pointing at /compat/resend.</summary>
public sealed class ResendSdkTests(ResendSdkRun run) : IClassFixture<ResendSdkRun>
{
    private JsonNode Result => run.Result;

    [Fact]
    public async Task An_email_sent_with_the_sdk_arrives_with_its_addresses_bodies_header_and_attachment()
    {
        var id = (string)Result["plain"]!["data"]!["id"]!;
        Assert.Null(Result["plain"]!["error"]);

        var received = await run.ReceivedAsync("plain");
        Assert.Equal([run.To("plain"), run.To("plain-cc")], received.RcptTos);
        var mime = received.Parse();
        Assert.Equal("Resend plain", mime.Subject);
        Assert.Equal(("Acme", "sender@acme.test"), (mime.From.Mailboxes.Single().Name, mime.From.Mailboxes.Single().Address));
        Assert.Equal("support@acme.test", mime.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal(run.To("plain-cc"), mime.Cc.Mailboxes.Single().Address);
        Assert.Equal("ref-123", mime.Headers["X-Entity-Ref-ID"]);
        Assert.Equal("Plain text body", mime.TextBody!.Trim());
        Assert.Contains("<p>HTML body</p>", mime.HtmlBody);
        var attachment = Assert.Single(mime.Attachments.OfType<MimePart>());
        Assert.Equal("note.txt", attachment.FileName);
        using var bytes = new MemoryStream();
        await attachment.Content!.DecodeToAsync(bytes);
        Assert.Equal("attached bytes", System.Text.Encoding.UTF8.GetString(bytes.ToArray()));

        // Our own API sees the same message: Resend's tag is our metadata.
        var status = await run.Http.GetMessageAsync(id);
        Assert.Equal("welcome", (string?)status["metadata"]!["category"]);
    }

    [Fact]
    public void The_same_idempotency_key_answers_the_first_email_and_another_body_with_it_is_refused()
    {
        Assert.Equal((string?)Result["plain"]!["data"]!["id"], (string?)Result["replay"]!["data"]!["id"]);
        Assert.Equal("true", (string?)Result["replay"]!["headers"]!["idempotent-replayed"]);
        var reused = Result["reused"]!["error"]!;
        Assert.Equal(409, (int)reused["statusCode"]!);
        Assert.Equal("invalid_idempotent_request", (string?)reused["name"]);
        Assert.Contains("was used within the last 24 h for a different request", (string?)reused["message"]);
    }

    [Fact]
    public void Get_answers_in_resends_shape_with_the_tags_and_recipients()
    {
        var email = Result["get"]!["data"]!;
        Assert.Equal("email", (string?)email["object"]);
        Assert.Equal((string?)Result["plain"]!["data"]!["id"], (string?)email["id"]);
        Assert.Equal("Resend plain", (string?)email["subject"]);
        Assert.Equal(run.To("plain"), (string?)email["to"]![0]);
        Assert.Equal(run.To("plain-cc"), (string?)email["cc"]![0]);
        Assert.Equal("welcome", (string?)email["tags"]![0]!["value"]);
        Assert.Contains((string?)email["last_event"], new[] { "queued", "delivered" });
        Assert.NotNull((string?)email["created_at"]);
    }

    [Fact]
    public async Task A_batch_sends_each_email_and_answers_their_ids_in_order()
    {
        var data = Result["batch"]!["data"]!["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        var first = await run.ReceivedAsync("batch1");
        var second = await run.ReceivedAsync("batch2");
        Assert.Equal("Resend batch 1", first.Parse().Subject);
        Assert.Contains("<b>two</b>", second.Parse().HtmlBody);
        var status = await run.Http.GetMessageAsync((string)data[1]!["id"]!);
        Assert.Equal("Resend batch 2", (string?)status["subject"]);
    }

    [Fact]
    public async Task A_strict_batch_with_one_bad_address_sends_nothing_and_says_which()
    {
        var error = Result["batchStrict"]!["error"]!;
        Assert.Equal(422, (int)error["statusCode"]!);
        Assert.Equal("validation_error", (string?)error["name"]);
        Assert.Contains("[1].to[0]: Invalid address: 'not an address' is not a single email address", (string?)error["message"]);
        Assert.False(await run.AnyReceivedAsync("never1"));
    }

    [Fact]
    public async Task A_permissive_batch_sends_the_valid_email_and_lists_the_other_by_index()
    {
        var body = Result["batchPermissive"]!["data"]!;
        Assert.Single(body["data"]!.AsArray());
        var error = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal(1, (int)error["index"]!);
        Assert.Contains("to[0]: Invalid address", (string?)error["message"]);
        Assert.Equal("Resend permissive", (await run.ReceivedAsync("permissive")).Parse().Subject);
    }

    [Fact]
    public async Task A_scheduled_email_goes_out_at_its_time_and_one_canceled_never_does()
    {
        Assert.NotNull((string?)Result["scheduled"]!["data"]!["id"]);
        Assert.Equal("scheduled", (string?)Result["laterGet"]!["data"]!["last_event"]);
        Assert.Equal("email", (string?)Result["cancel"]!["data"]!["object"]);
        Assert.Equal("canceled", (string?)Result["canceledGet"]!["data"]!["last_event"]);
        Assert.Equal(422, (int)Result["cancelAgain"]!["error"]!["statusCode"]!);
        Assert.Contains("already final", (string?)Result["cancelAgain"]!["error"]!["message"]);

        var received = await run.ReceivedAsync("scheduled");
        Assert.True(received.ReceivedAt >= run.SendAt, $"delivered at {received.ReceivedAt:O}, scheduled for {run.SendAt:O}");
        Assert.False(await run.AnyReceivedAsync("canceled"));
    }

    [Fact]
    public void Validation_errors_reach_the_sdks_error_with_resends_name_and_our_reason()
    {
        var invalid = Result["invalid"]!["error"]!;
        Assert.Equal(422, (int)invalid["statusCode"]!);
        Assert.Equal("validation_error", (string?)invalid["name"]);
        Assert.Equal("to[0]: Invalid address: 'not an address' is not a single email address.", (string?)invalid["message"]);
        Assert.Contains("text: A body is required", (string?)Result["noBody"]!["error"]!["message"]);
    }

    [Fact]
    public async Task An_email_with_a_template_arrives_rendered_with_its_variables()
    {
        Assert.Null(Result["template"]!["error"]);
        var id = (string)run.Case("template", "data")["id"]!;

        CompatMail.AssertWelcome((await run.ReceivedAsync("template")).Parse(), "Ann");
        Assert.Equal("Welcome Ann", (string?)(await run.Http.GetMessageAsync(id))["subject"]);
    }

    [Fact]
    public async Task A_missing_template_and_a_subject_beside_one_are_resend_validation_errors_saying_so()
    {
        var missing = run.Case("templateMissing", "error");
        Assert.Equal((422, "validation_error"), ((int)missing["statusCode"]!, (string?)missing["name"]));
        Assert.Equal("template.id: This account has no template 'no-such-template'.", (string?)missing["message"]);
        Assert.Equal(
            "subject: comes from the template; leave it out when template is given.",
            (string?)run.Case("templateWithSubject", "error")["message"]);
        Assert.False(await run.AnyReceivedAsync("template-missing"));
    }

    [Fact]
    public void An_unknown_email_and_an_unknown_key_are_resend_errors_not_empty_answers()
    {
        Assert.Equal(("not_found", 404), ((string?)Result["notFound"]!["error"]!["name"], (int)Result["notFound"]!["error"]!["statusCode"]!));
        var badKey = Result["badKey"]!["error"]!;
        Assert.Equal(401, (int)badKey["statusCode"]!);
        Assert.Equal("invalid_api_key", (string?)badKey["name"]);
        Assert.Equal("Unknown API key.", (string?)badKey["message"]);
    }
}
