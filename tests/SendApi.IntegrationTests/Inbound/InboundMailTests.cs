using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// Mail received on port 25 for inbound domains and replies to return paths, sent by real
/// clients (MailKit over STARTTLS, swaks), read back through /inbound and the inbound.received
/// webhook. Run on both storage modes.
/// </summary>
public abstract class InboundMailTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const string ReturnPathDomain = "bounces.sendapi.test";
    private const string InboundDomain = "reply.acme.test";
    private const string OtherAccountDomain = "tickets.other.test";
    private const string OtherAccount = "acct-other";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Delivery:ReturnPathDomain"] = ReturnPathDomain;
        settings["Inbound:Domains:0"] = InboundDomain;
        settings["Inbound:Domains:1"] = $"{OtherAccountDomain}={OtherAccount}";
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        settings["Webhooks:PollInterval"] = "50ms";
    }

    private Task<InboundSmtp.Sent> SendAndDeliverAsync(string local) =>
        InboundSmtp.SendAndDeliverAsync(Http, World, local, $"support@{InboundDomain}", "Your order #1234", "It ships tomorrow.");

    /// <summary>A reply as Gmail writes one: top-posted text over an attribution and the quoted original, an HTML twin, and a PDF.</summary>
    private static MimeMessage Reply(InboundSmtp.Sent sent, string to, byte[] pdf)
    {
        var reply = new MimeMessage();
        reply.From.Add(new MailboxAddress("Carol Buyer", sent.Recipient));
        reply.To.Add(MailboxAddress.Parse(to));
        reply.Subject = "Re: Your order #1234";
        reply.InReplyTo = sent.MessageIdHeader;
        reply.References.Add("unrelated-thread-start@elsewhere.test");
        reply.References.Add(sent.MessageIdHeader);
        var body = new BodyBuilder
        {
            TextBody = "Please ship it to my new address instead.\n\nThanks,\nCarol\n\nOn Sun, Nov 22, 2026 at 10:02 AM Acme Support <support@reply.acme.test>\nwrote:\n\n> It ships tomorrow.\n",
            HtmlBody = "<div dir=\"ltr\">Please ship it to my new address instead.<br><br>Thanks,<br>Carol</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Sun, Nov 22, 2026 at 10:02 AM Acme Support wrote:<br></div><blockquote class=\"gmail_quote\">It ships tomorrow.</blockquote></div>",
        };
        body.Attachments.Add("new-address.pdf", pdf, new ContentType("application", "pdf"));
        reply.Body = body.ToMessageBody();
        return reply;
    }

    private async Task<JsonNode> WaitForInboundAsync(Func<JsonNode, bool> match, HttpClient? client = null)
    {
        client ??= Http;
        var deadline = DateTime.UtcNow + Patience;
        JsonNode list;
        do
        {
            list = JsonNode.Parse(await client.GetStringAsync("/inbound"))!;
            if (list["data"]!.AsArray().FirstOrDefault(i => match(i!)) is { } found)
            {
                return JsonNode.Parse(await client.GetStringAsync($"/inbound/{(string)found["id"]!}"))!;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"No matching inbound mail within {Patience}: {list.ToJsonString()}");
    }

    [Fact]
    public async Task A_reply_to_an_inbound_domain_is_stored_parsed_linked_and_pushed_to_webhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (_, secret) = await Http.CreateWebhookAsync(receiver.Url, "inbound.received");
        var sent = await SendAndDeliverAsync("carol");
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 new address: 1 Main St\n%%EOF\n");
        var reply = Reply(sent, $"support@{InboundDomain}", pdf);

        using (var smtp = new SmtpClient())
        {
            smtp.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await smtp.ConnectAsync("127.0.0.1", App.InboundPort, SecureSocketOptions.StartTls);
            await smtp.SendAsync(reply);
            await smtp.DisconnectAsync(true);
        }

        var inbound = await WaitForInboundAsync(i => (string?)i["subject"] == "Re: Your order #1234");
        var id = (string)inbound["id"]!;
        Assert.StartsWith("in_", id);
        Assert.Equal(sent.Id, (string?)inbound["in_reply_to_message_id"]);
        Assert.Equal(sent.Recipient, (string?)inbound["from"]!["address"]);
        Assert.Equal("Carol Buyer", (string?)inbound["from"]!["name"]);
        Assert.Equal($"support@{InboundDomain}", (string?)inbound["to"]![0]!["address"]);
        Assert.Equal("Please ship it to my new address instead.\n\nThanks,\nCarol", (string?)inbound["reply_text"]);
        Assert.Contains("> It ships tomorrow.", (string?)inbound["text"]);
        Assert.Contains("gmail_quote", (string?)inbound["html"]);
        Assert.Equal(sent.MessageIdHeader, (string?)inbound["in_reply_to"]);
        Assert.Equal(reply.MessageId, (string?)inbound["message_id"]);
        Assert.False((bool)inbound["auto_reply"]!);
        Assert.True((bool)inbound["envelope"]!["tls"]!);
        Assert.Equal(sent.Recipient, (string?)inbound["envelope"]!["mail_from"]);
        Assert.Equal([$"support@{InboundDomain}"], inbound["envelope"]!["rcpt_to"]!.AsArray().Select(r => (string)r!));
        Assert.Contains(inbound["headers"]!.AsArray(), h => (string?)h!["name"] == "Subject" && (string?)h["value"] == "Re: Your order #1234");
        var attachment = Assert.Single(inbound["attachments"]!.AsArray())!;
        Assert.Equal("new-address.pdf", (string?)attachment["filename"]);
        Assert.Equal("application/pdf", (string?)attachment["content_type"]);
        Assert.Equal(pdf.Length, (long)attachment["size"]!);

        // The original bytes, and the attachment decoded.
        var raw = await Http.GetAsync($"/inbound/{id}/raw");
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType?.MediaType);
        var original = MimeMessage.Load(await raw.Content.ReadAsStreamAsync());
        Assert.Equal(reply.MessageId, original.MessageId);
        Assert.Equal(pdf, await Http.GetByteArrayAsync($"/inbound/{id}/attachments/0"));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/inbound/{id}/attachments/1")).StatusCode);

        // The webhook carries the same parsed message, signed.
        var pushed = Assert.Single(await receiver.WaitForAsync(r => r.Count >= 1, Patience, "inbound.received"));
        Assert.Equal("inbound.received", pushed.Type);
        Assert.True(StandardWebhooksVerifier.Verify(secret, pushed, DateTimeOffset.UtcNow));
        Assert.Equal(id, (string?)pushed.Data["id"]);
        Assert.Equal(sent.Id, (string?)pushed.Data["in_reply_to_message_id"]);
        Assert.Equal("Please ship it to my new address instead.\n\nThanks,\nCarol", (string?)pushed.Data["reply_text"]);
    }

    [Fact]
    public async Task A_person_answering_the_return_path_reaches_the_message_account_linked_to_it()
    {
        var sent = await SendAndDeliverAsync("dora");
        var before = await Http.GetMessageAsync(sent.Id);

        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
        [
            "--server", $"127.0.0.1:{App.InboundPort}", "--from", sent.Recipient, "--to", sent.ReturnPath,
            "--header", "Subject: Re: Your order #1234", "--body", "Wrong size, can I exchange it?",
        ]);
        Assert.True(await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, swaks.Describe());

        var inbound = await WaitForInboundAsync(i => (string?)i["in_reply_to_message_id"] == sent.Id);
        Assert.Equal("Wrong size, can I exchange it?", (string?)inbound["reply_text"]);
        Assert.Equal([sent.ReturnPath], inbound["envelope"]!["rcpt_to"]!.AsArray().Select(r => (string)r!));
        // A reply is not evidence about delivery: the timeline is unchanged.
        var after = await Http.GetMessageAsync(sent.Id);
        Assert.Equal(before["events"]!.AsArray().Count, after["events"]!.AsArray().Count);
    }

    [Fact]
    public async Task Each_inbound_domain_delivers_to_its_own_account_only()
    {
        var created = await Http.PostAsJsonAsync("/api-keys", new { name = "other", account_id = OtherAccount });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var other = App.Client((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!);

        var reply = await InboundSmtp.DeliverAsync(App.InboundPort, "customer@example.test", $"help@{OtherAccountDomain}",
            "From: customer@example.test\nTo: help@tickets.other.test\nSubject: Broken widget\nMessage-ID: <w1@example.test>\n\nIt broke.\n");
        Assert.StartsWith("250", reply);

        var inbound = await WaitForInboundAsync(i => (string?)i["subject"] == "Broken widget", other);
        Assert.Null(inbound["in_reply_to_message_id"]);
        Assert.Equal("It broke.", (string?)inbound["reply_text"]);
        var id = (string)inbound["id"]!;
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/inbound/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/inbound/{id}/raw")).StatusCode);
        Assert.DoesNotContain(JsonNode.Parse(await Http.GetStringAsync("/inbound"))!["data"]!.AsArray(), i => (string?)i!["id"] == id);
    }

    [Fact]
    public async Task A_transaction_sent_again_after_a_451_is_stored_once()
    {
        var mail = $"From: a@example.test\nTo: retry@{InboundDomain}\nSubject: retried {Guid.NewGuid():N}\nMessage-ID: <r1@example.test>\n\nsame bytes\n";
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "a@example.test", $"retry@{InboundDomain}", mail));
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "a@example.test", $"retry@{InboundDomain}", mail));

        var subject = mail.Split('\n')[2]["Subject: ".Length..];
        var list = JsonNode.Parse(await Http.GetStringAsync("/inbound"))!["data"]!.AsArray();
        Assert.Single(list, i => (string?)i!["subject"] == subject);
    }

    [Fact]
    public async Task An_out_of_office_answer_to_the_return_path_is_stored_flagged_as_an_auto_reply()
    {
        var sent = await SendAndDeliverAsync("olga");
        var reply = InboundSmtp.Fixture("out-of-office.eml", sent.ReturnPath, sent.MessageIdHeader, "liam@corp.example", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, sent.Recipient, sent.ReturnPath, reply));

        var inbound = await WaitForInboundAsync(i => (string?)i["in_reply_to_message_id"] == sent.Id);
        Assert.True((bool)inbound["auto_reply"]!);
    }

    [Theory]
    [InlineData("anyone@reply.acme.test", "250")]
    [InlineData("Support@REPLY.ACME.TEST", "250")]
    [InlineData("x@sub.reply.acme.test", "550 5.7.1")]
    [InlineData("x@acme.test", "550 5.7.1")]
    [InlineData("x@reply.acme.test.evil.test", "550 5.7.1")]
    public async Task Inbound_domains_take_every_local_part_and_nothing_else(string recipient, string expected)
    {
        Assert.StartsWith(expected, (await InboundSmtp.TryRecipientAsync(App.InboundPort, recipient)).Rcpt);
    }

    [Theory]
    [InlineData("postmaster")]
    [InlineData("Postmaster@bounces.sendapi.test")]
    [InlineData("postmaster@reply.acme.test")]
    [InlineData("postmaster@tickets.other.test")]
    [InlineData("postmaster@sendapi.test")]
    public async Task Mail_to_the_postmaster_is_accepted_and_stored_for_the_admin(string postmaster)
    {
        var subject = $"Your server is sending spam {Guid.NewGuid():N}";
        var reply = await InboundSmtp.DeliverAsync(App.InboundPort, "abuse@isp.example.test", postmaster,
            $"From: abuse@isp.example.test\nTo: {postmaster}\nSubject: {subject}\n\nPlease look into it.\n");

        Assert.StartsWith("250", reply);
        var inbound = await WaitForInboundAsync(i => (string?)i["subject"] == subject);
        Assert.Equal([postmaster], inbound["envelope"]!["rcpt_to"]!.AsArray().Select(r => (string)r!));
        Assert.Equal("Please look into it.", (string?)inbound["reply_text"]);
    }

    [Theory]
    [InlineData("help@ｒｅｐｌｙ.acme.test")]
    [InlineData("help@reply\u3002acme\u3002test")]
    [InlineData("help@ＲＥＰＬＹ\uFF0Eacme\uFF61test")]
    public async Task A_look_alike_spelling_of_an_inbound_domain_is_stored_under_the_domain_itself(string recipient)
    {
        var subject = $"look-alike {Guid.NewGuid():N}";
        var reply = await InboundSmtp.DeliverAsync(App.InboundPort, "carol@example.test", recipient,
            $"From: carol@example.test\nTo: help@reply.acme.test\nSubject: {subject}\n\nhello\n", smtpUtf8: true);

        Assert.StartsWith("250", reply);
        var inbound = await WaitForInboundAsync(i => (string?)i["subject"] == subject);
        Assert.Equal(["help@reply.acme.test"], inbound["envelope"]!["rcpt_to"]!.AsArray().Select(r => (string)r!));
    }

    [Fact]
    public async Task A_spelling_with_letters_of_another_script_is_not_ours()
    {
        Assert.StartsWith("550 5.7.1", (await InboundSmtp.TryRecipientAsync(App.InboundPort, "help@reply.\u0430cme.test", smtpUtf8: true)).Rcpt);
    }

    [Fact]
    public async Task A_null_sender_bounce_of_a_megabyte_of_blank_lines_is_answered_in_seconds()
    {
        // 8,000 such lines once took a backtracking regex 105 s, with the health endpoint stalled.
        var subject = $"blank {Guid.NewGuid():N}";
        var body = string.Concat(Enumerable.Repeat("\n", 1 << 19)) + "end\n";
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var reply = await InboundSmtp.DeliverAsync(App.InboundPort, "", $"bounces@{InboundDomain}",
            $"From: MAILER-DAEMON@mx.example.test\nTo: bounces@{InboundDomain}\nSubject: {subject}\n\n{body}");

        Assert.StartsWith("250", reply);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"answered after {watch.Elapsed.TotalSeconds:F1} s");
        Assert.EndsWith("end", ((string?)(await WaitForInboundAsync(i => (string?)i["subject"] == subject))["text"])?.TrimEnd());
    }

    [Fact]
    public async Task Port_25_has_the_submission_limits_and_smuggling_protection()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", App.InboundPort);
        var smtp = new RawSmtp(tcp.GetStream());
        Assert.StartsWith("220", await smtp.ReadReplyAsync());
        var ehlo = await smtp.CommandAsync("EHLO mx.sender.test", "250");
        Assert.Contains("SIZE 10485760", ehlo);

        // A declared size over the limit is refused at MAIL.
        await smtp.CommandAsync("MAIL FROM:<big@example.test> SIZE=999999999", "552");

        // An SMTP smuggling attempt (a bare-LF "end of data" hiding a second message) is refused whole.
        await smtp.CommandAsync("MAIL FROM:<a@example.test>", "250");
        await smtp.CommandAsync($"RCPT TO:<smuggle@{InboundDomain}>", "250");
        await smtp.CommandAsync("DATA", "354");
        await smtp.WriteAsync($"Subject: smuggled outer\r\n\r\nhello\n.\nMAIL FROM:<evil@example.test>\nRCPT TO:<victim@{InboundDomain}>\nDATA\nSubject: smuggled inner\n\nx\r\n.\r\n");
        Assert.StartsWith("550 5.5.2", await smtp.ReadReplyAsync());
        await smtp.CommandAsync("QUIT", "221");

        var subjects = JsonNode.Parse(await Http.GetStringAsync("/inbound"))!["data"]!.AsArray().Select(i => (string?)i!["subject"]);
        Assert.DoesNotContain(subjects, s => s?.StartsWith("smuggled", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Listing_pages_newest_first_and_bad_ids_are_problems()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "a@example.test", $"list@{InboundDomain}",
                $"From: a@example.test\nTo: list@{InboundDomain}\nSubject: page {i}\n\nbody {i}\n"));
        }

        var first = JsonNode.Parse(await Http.GetStringAsync("/inbound?limit=2"))!;
        var second = JsonNode.Parse(await Http.GetStringAsync($"/inbound?limit=2&cursor={(string)first["next_cursor"]!}"))!;
        var subjects = first["data"]!.AsArray().Concat(second["data"]!.AsArray()).Select(i => (string?)i!["subject"]).Where(s => s?.StartsWith("page ", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(["page 2", "page 1", "page 0"], subjects);

        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/inbound/in_0123")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/inbound/..%2Fmsg")).StatusCode);
        var bad = await Http.GetAsync("/inbound?cursor=zzz&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class EmbeddedInboundMailTests(DeliveryWorld world) : InboundMailTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisInboundMailTests(DeliveryWorld world) : InboundMailTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
