using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Compat;

/// <summary>Postmark's official Node SDK (npm "postmark" 5.x), unmodified, its ServerClient's requestHost pointing at /compat/postmark.</summary>
public sealed class PostmarkSdkTests(PostmarkSdkRun run) : IClassFixture<PostmarkSdkRun>
{
    private JsonNode Result => run.Result;

    [Fact]
    public async Task An_email_sent_with_the_sdk_arrives_with_its_recipients_bodies_header_and_inline_image()
    {
        var sent = Result["plain"]!["ok"]!;
        Assert.Equal((0, "OK"), ((int)sent["ErrorCode"]!, (string?)sent["Message"]));
        Assert.NotNull((string?)sent["SubmittedAt"]);

        var received = await run.ReceivedAsync("plain");
        Assert.Equal([run.To("plain"), run.To("plain2"), run.To("plain-cc")], received.RcptTos);
        var mime = received.Parse();
        Assert.Equal("Postmark plain", mime.Subject);
        Assert.Equal("Doe, Jane", mime.To.Mailboxes.First().Name);
        Assert.Equal("support@acme.test", mime.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal("ref-123", mime.Headers["X-Entity-Ref-ID"]);
        Assert.Equal("Plain text body", mime.TextBody!.Trim());
        Assert.Equal("note.txt", Assert.Single(mime.Attachments.OfType<MimePart>()).FileName);
        var inline = mime.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo.png");
        Assert.Equal("image/png", inline.ContentType.MimeType);

        var status = await run.Http.GetMessageAsync((string)sent["MessageID"]!);
        Assert.Equal(["welcome"], status["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("1234", (string?)status["metadata"]!["order_id"]);
    }

    [Fact]
    public async Task A_batch_answers_each_message_in_order_and_sends_the_valid_ones()
    {
        var results = Result["batch"]!["ok"]!.AsArray();
        Assert.Equal(3, results.Count);
        Assert.Equal(0, (int)results[0]!["ErrorCode"]!);
        Assert.Equal(300, (int)results[1]!["ErrorCode"]!);
        Assert.Contains("To[0]: Invalid address: 'not an address' is not a single email address", (string?)results[1]!["Message"]);
        Assert.Equal(0, (int)results[2]!["ErrorCode"]!);
        Assert.Equal("Postmark batch 1", (await run.ReceivedAsync("batch1")).Parse().Subject);
        Assert.Contains("<b>three</b>", (await run.ReceivedAsync("batch3")).Parse().HtmlBody);
    }

    [Fact]
    public void Validation_errors_surface_as_the_sdks_InvalidEmailRequestError_with_our_reason()
    {
        var invalid = Result["invalid"]!["error"]!;
        Assert.Equal("InvalidEmailRequestError", (string?)invalid["type"]);
        Assert.Equal((300, 422), ((int)invalid["code"]!, (int)invalid["statusCode"]!));
        Assert.Equal("To[0]: Invalid address: 'not an address' is not a single email address.", (string?)invalid["message"]);
        Assert.Equal("To: At least one recipient is required in to, cc or bcc.", (string?)Result["noRecipient"]!["error"]!["message"]);
        Assert.Contains("TrackLinks: must be one of None, HtmlAndText, HtmlOnly, TextOnly", (string?)Result["badTrackLinks"]!["error"]!["message"]);
        Assert.Equal(
            "TrackLinks: SendApi tracks the links of the HTML body only; use HtmlOnly, HtmlAndText (its HTML links are tracked) or None.",
            (string?)Result["textOnly"]!["error"]!["message"]);
    }

    [Fact]
    public async Task TrackOpens_and_TrackLinks_give_the_html_tracked_links_and_an_open_pixel()
    {
        Assert.Equal(0, (int)run.Case("tracked", "ok")["ErrorCode"]!);

        CompatMail.AssertTracked((await run.ReceivedAsync("tracked")).Parse(), "https://acme.test/offer");
    }

    [Fact]
    public async Task An_email_with_a_template_by_alias_or_by_id_arrives_rendered_with_its_model()
    {
        var sent = run.Case("templated", "ok");
        Assert.Equal((0, "OK"), ((int)sent["ErrorCode"]!, (string?)sent["Message"]));
        Assert.Equal(0, (int)run.Case("templatedById", "ok")["ErrorCode"]!);

        CompatMail.AssertWelcome((await run.ReceivedAsync("templated")).Parse(), "Ann");
        CompatMail.AssertWelcome((await run.ReceivedAsync("templated-id")).Parse(), "Bob");
        Assert.Equal(["onboarding"], (await run.Http.GetMessageAsync((string)sent["MessageID"]!))["tags"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task A_batch_with_templates_sends_each_rendered_and_answers_a_missing_template_in_its_place()
    {
        var results = run.Case("templatedBatch", "ok").AsArray();
        Assert.Equal([0, 1101, 0], results.Select(r => (int)r!["ErrorCode"]!));
        Assert.Equal("TemplateAlias: This account has no template 'no-such-template'.", (string?)results[1]!["Message"]);

        CompatMail.AssertWelcome((await run.ReceivedAsync("tbatch1")).Parse(), "One");
        CompatMail.AssertWelcome((await run.ReceivedAsync("tbatch3")).Parse(), "Three");
        Assert.False(await run.AnyReceivedAsync("tbatch2"));
    }

    [Fact]
    public void A_missing_template_is_the_sdks_ApiInputError_naming_it()
    {
        var error = run.Case("templateMissing", "error");
        Assert.Equal("ApiInputError", (string?)error["type"]);
        Assert.Equal((1101, 422), ((int)error["code"]!, (int)error["statusCode"]!));
        Assert.Equal("TemplateAlias: This account has no template 'no-such-template'.", (string?)error["message"]);
    }

    [Fact]
    public async Task A_suppressed_recipient_is_the_sdks_InactiveRecipientsError_naming_it_and_others_still_get_the_mail()
    {
        var inactive = Result["inactive"]!["error"]!;
        Assert.Equal("InactiveRecipientsError", (string?)inactive["type"]);
        Assert.Equal(406, (int)inactive["code"]!);
        Assert.Equal([run.To("inactive")], inactive["recipients"]!.AsArray().Select(r => (string?)r));

        var some = Result["someInactive"]!["ok"]!;
        Assert.Equal(0, (int)some["ErrorCode"]!);
        Assert.Contains($"will not deliver to these inactive addresses: {run.To("inactive")}", (string?)some["Message"]);
        Assert.Equal([run.To("active")], (await run.ReceivedAsync("active")).RcptTos);
    }

    [Fact]
    public void An_unknown_server_token_is_the_sdks_InvalidAPIKeyError()
    {
        var error = Result["badToken"]!["error"]!;
        Assert.Equal("InvalidAPIKeyError", (string?)error["type"]);
        Assert.Equal((10, 401), ((int)error["code"]!, (int)error["statusCode"]!));
        Assert.Equal("Unknown API key.", (string?)error["message"]);
    }
}
