using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Compat;

/// <summary>SendGrid's official Node SDK (npm "@sendgrid/mail" 8.x), unmodified, its client's baseUrl pointing at /compat/sendgrid.</summary>
public sealed class SendGridSdkTests(SendGridSdkRun run) : IClassFixture<SendGridSdkRun>
{
    private JsonNode Result => run.Result;

    [Fact]
    public async Task A_mail_sent_with_the_sdk_is_202_with_x_message_id_and_arrives_with_everything()
    {
        var sent = run.Case("plain", "ok");
        Assert.Equal(202, (int)sent["statusCode"]!);
        Assert.Equal("", (string?)sent["body"] ?? "");
        var id = (string)sent["messageId"]!;

        var received = await run.ReceivedAsync("plain");
        Assert.Equal([run.To("plain"), run.To("plain-cc")], received.RcptTos);
        var mime = received.Parse();
        Assert.Equal("SendGrid plain", mime.Subject);
        Assert.Equal(("Acme Store", "sender@acme.test"), (mime.From.Mailboxes.Single().Name, mime.From.Mailboxes.Single().Address));
        Assert.Equal("Jane Doe", mime.To.Mailboxes.Single().Name);
        Assert.Equal("support@acme.test", mime.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal("ref-123", mime.Headers["X-Entity-Ref-ID"]);
        Assert.Equal("Plain text body", mime.TextBody!.Trim());
        Assert.Equal("note.txt", Assert.Single(mime.Attachments.OfType<MimePart>()).FileName);
        Assert.Equal("image/png", mime.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo").ContentType.MimeType);

        var status = await run.Http.GetMessageAsync(id);
        Assert.Equal(["welcome"], status["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("1234", (string?)status["metadata"]!["order_id"]);
    }

    [Fact]
    public async Task Each_personalization_is_its_own_message_with_its_subject_and_custom_args()
    {
        var ids = ((string)run.Case("multiple", "ok")["messageId"]!).Split(',');
        Assert.Equal(2, ids.Length);
        Assert.Equal("SendGrid multiple 1", (await run.ReceivedAsync("multi1")).Parse().Subject);
        Assert.Equal([run.To("multi2")], (await run.ReceivedAsync("multi2")).RcptTos);
        Assert.Equal("2", (string?)(await run.Http.GetMessageAsync(ids[1]))["metadata"]!["n"]);
    }

    [Fact]
    public async Task Send_at_schedules_the_mail_for_that_second()
    {
        Assert.Equal(202, (int)run.Case("scheduled", "ok")["statusCode"]!);
        var received = await run.ReceivedAsync("scheduled");
        Assert.True(received.ReceivedAt >= run.SendAt, $"delivered at {received.ReceivedAt:O}, scheduled for {run.SendAt:O}");
    }

    [Fact]
    public void Errors_reach_the_sdks_ResponseError_in_sendgrids_shape_naming_the_field()
    {
        var invalid = Result["invalid"]!["error"]!;
        Assert.Equal(("ResponseError", 400), ((string?)invalid["type"], (int)invalid["code"]!));
        var error = Assert.Single(invalid["body"]!["errors"]!.AsArray())!;
        Assert.Equal("personalizations[0].to[0].email", (string?)error["field"]);
        Assert.Equal("Invalid address: 'not an address' is not a single email address.", (string?)error["message"]);
        Assert.Contains("personalizations[0].to[0].email", (string?)invalid["text"]);

        var template = run.Case("templateMissing", "error");
        Assert.Equal(400, (int)template["code"]!);
        var templateError = Assert.Single(template["body"]!["errors"]!.AsArray())!;
        Assert.Equal(("template_id", "This account has no template 'd-ffffffffffffffffffffffffffffffff'."), ((string?)templateError["field"], (string?)templateError["message"]));

        var badKey = Result["badKey"]!["error"]!;
        Assert.Equal(401, (int)badKey["code"]!);
        Assert.Equal("Unknown API key.", (string?)badKey["body"]!["errors"]![0]!["message"]);
    }

    [Fact]
    public async Task A_dynamic_template_renders_each_personalization_with_its_own_data()
    {
        var sent = run.Case("template", "ok");
        Assert.Equal(202, (int)sent["statusCode"]!);
        Assert.Equal(2, ((string)sent["messageId"]!).Split(',').Length);

        CompatMail.AssertWelcome((await run.ReceivedAsync("template1")).Parse(), "Ann");
        CompatMail.AssertWelcome((await run.ReceivedAsync("template2")).Parse(), "Bob");
    }

    [Fact]
    public async Task Tracking_settings_give_the_mail_a_list_unsubscribe_header_tracked_links_and_an_open_pixel()
    {
        Assert.Equal(202, (int)run.Case("tracked", "ok")["statusCode"]!);

        var mime = (await run.ReceivedAsync("tracked")).Parse();
        CompatMail.AssertUnsubscribe(mime);
        CompatMail.AssertTracked(mime, "https://acme.test/offer");
    }
}
