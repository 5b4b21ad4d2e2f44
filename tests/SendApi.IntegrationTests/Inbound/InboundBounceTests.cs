using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// Bounces and complaints coming back to port 25 after a real delivery: a message is sent to the
/// aiosmtpd MX, its per-message return path (VERP) is read from what the MX received, and a report
/// about it is delivered to the inbound listener. Run on both storage modes.
/// </summary>
public abstract class InboundBounceTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const string ReturnPathDomain = "bounces.sendapi.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Delivery:ReturnPathDomain"] = ReturnPathDomain;

    /// <summary>Sends one message to a fresh example.test address, waits until the MX took it, and checks its return path is ours.</summary>
    private async Task<InboundSmtp.Sent> SendAndDeliverAsync(string local)
    {
        var sent = await InboundSmtp.SendAndDeliverAsync(Http, World, local, "orders@acme.test", "Your order", "Thanks");
        Assert.EndsWith("@" + ReturnPathDomain, sent.ReturnPath);
        return sent;
    }

    /// <summary>The inbound mail stored for the admin account and linked to message <paramref name="id"/>, in full.</summary>
    private async Task<List<JsonNode>> InboundLinkedToAsync(string id)
    {
        var list = JsonNode.Parse(await Http.GetStringAsync("/inbound?limit=100"))!["data"]!.AsArray();
        var linked = new List<JsonNode>();
        foreach (var item in list.Where(i => (string?)i!["in_reply_to_message_id"] == id))
        {
            linked.Add(JsonNode.Parse(await Http.GetStringAsync($"/inbound/{(string)item!["id"]!}"))!);
        }

        return linked;
    }

    private async Task<JsonNode?> SuppressionAsync(string address)
    {
        var response = await Http.GetAsync($"/suppressions/{Uri.EscapeDataString(address)}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_hard_bounce_marks_the_recipient_bounced_and_suppresses_the_address()
    {
        var sent = await SendAndDeliverAsync("carol");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);

        var reply = await InboundSmtp.DeliverAsync(App.InboundPort, "", sent.ReturnPath, dsn);

        Assert.StartsWith("250", reply);
        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("bounced", (string?)message.Recipient(sent.Recipient)["status"]);
        var bounced = Assert.Single(message.Events("bounced"));
        Assert.Equal(sent.Recipient, (string?)bounced["recipient"]);
        Assert.Contains("5.1.1", (string?)bounced["detail"]);
        Assert.StartsWith("hard bounce", (string?)bounced["detail"]);
        Assert.Equal(550, (int?)bounced["smtp_code"]);

        var suppression = await SuppressionAsync(sent.Recipient);
        Assert.NotNull(suppression);
        Assert.Equal("hard_bounce", (string?)suppression["reason"]);
        Assert.Equal(sent.Id, (string?)suppression["message_id"]);

        var again = await Http.PostAsJsonAsync("/messages", new { from = "orders@acme.test", to = new[] { sent.Recipient }, subject = "again", text = "x" });
        var body = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("suppressed", (string?)body["status"]);
        Assert.Equal([sent.Recipient], body["suppressed"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task A_soft_bounce_adds_an_event_but_leaves_the_delivered_status_and_the_list_alone()
    {
        var sent = await SendAndDeliverAsync("grace");
        var dsn = InboundSmtp.Fixture("gmail-mailbox-full.eml", sent.ReturnPath, sent.MessageIdHeader, "grace.full@gmail.com", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "", sent.ReturnPath, dsn));

        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)message.Recipient(sent.Recipient)["status"]);
        var soft = Assert.Single(message.Events("deferred"));
        Assert.StartsWith("soft bounce", (string?)soft["detail"]);
        Assert.Contains("5.2.2", (string?)soft["detail"]);
        Assert.Empty(message.Events("bounced"));
        Assert.Null(await SuppressionAsync(sent.Recipient));
    }

    [Fact]
    public async Task A_feedback_report_records_a_complaint_and_suppresses_the_address()
    {
        var sent = await SendAndDeliverAsync("kate");
        var arf = InboundSmtp.Fixture("arf-abuse-report.eml", sent.ReturnPath, sent.MessageIdHeader, "kate@mailprovider.example", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "fbl-bounces@feedback.mailprovider.test", sent.ReturnPath, arf));

        var message = await Http.GetMessageAsync(sent.Id);
        var complained = Assert.Single(message.Events("complained"));
        Assert.Equal(sent.Recipient, (string?)complained["recipient"]);
        Assert.Contains("abuse", (string?)complained["detail"]);
        Assert.Equal("delivered", (string?)message.Recipient(sent.Recipient)["status"]);
        Assert.Equal("complaint", (string?)(await SuppressionAsync(sent.Recipient))?["reason"]);
    }

    [Fact]
    public async Task An_auto_reply_to_the_return_path_is_accepted_and_changes_nothing()
    {
        var sent = await SendAndDeliverAsync("liam");
        var before = await Http.GetMessageAsync(sent.Id);
        var reply = InboundSmtp.Fixture("out-of-office.eml", sent.ReturnPath, sent.MessageIdHeader, "liam@corp.example", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, sent.Recipient, sent.ReturnPath, reply));

        var after = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)after.Recipient(sent.Recipient)["status"]);
        Assert.Equal(before["events"]!.AsArray().Count, after["events"]!.AsArray().Count);
        Assert.Null(await SuppressionAsync(sent.Recipient));
    }

    [Theory]
    [InlineData("x@gmail.test")]
    [InlineData("postmaster@example.test")]
    [InlineData("bounces+0123456789abcdef0123456789abcdef-0@gmail.test")]
    public async Task Port_25_never_relays_even_from_loopback(string recipient)
    {
        var (ehlo, rcpt) = await InboundSmtp.TryRecipientAsync(App.InboundPort, recipient);

        Assert.StartsWith("550 5.7.1", rcpt);
        Assert.DoesNotContain("AUTH", ehlo);
        Assert.Contains("STARTTLS", ehlo);
    }

    [Theory]
    [InlineData("bounces+0123456789abcdef0123456789abcdef-0@bounces.sendapi.test")]
    [InlineData("bounces+0123456789abcdef0123456789abcdef-0-abcdefgh@bounces.sendapi.test")]
    [InlineData("not-a-return-path@bounces.sendapi.test")]
    public async Task An_invented_return_path_is_an_unknown_mailbox(string recipient)
    {
        Assert.StartsWith("550 5.1.1", (await InboundSmtp.TryRecipientAsync(App.InboundPort, recipient)).Rcpt);
    }

    [Fact]
    public async Task A_return_path_rewritten_to_name_another_recipient_is_refused_at_RCPT()
    {
        var carol = $"carol-{Guid.NewGuid():N}@example.test";
        var dave = $"dave-{Guid.NewGuid():N}@throttled.test";
        var sent = await InboundSmtp.SendAndDeliverAsync(Http, World, [carol, dave]);
        var own = sent.ReturnPaths[carol];
        Assert.Contains($"+{sent.Id}-0-", own, StringComparison.Ordinal);

        // Carol knows her return path; she writes Dave's index into it, and the unsigned form.
        var forged = own.Replace($"{sent.Id}-0-", $"{sent.Id}-1-", StringComparison.Ordinal);
        var unsigned = $"bounces+{sent.Id}-1@{ReturnPathDomain}";

        Assert.StartsWith("550 5.1.1", (await InboundSmtp.TryRecipientAsync(App.InboundPort, forged)).Rcpt);
        Assert.StartsWith("550 5.1.1", (await InboundSmtp.TryRecipientAsync(App.InboundPort, unsigned)).Rcpt);
        Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(App.InboundPort, own)).Rcpt);
        Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(App.InboundPort, sent.ReturnPaths[dave])).Rcpt);
    }

    [Fact]
    public async Task A_DSN_to_a_shared_return_path_acts_only_on_the_recipients_of_that_transaction()
    {
        var anna = $"anna-{Guid.NewGuid():N}@example.test";
        var ben = $"ben-{Guid.NewGuid():N}@example.test";
        var dave = $"dave-{Guid.NewGuid():N}@throttled.test";
        var sent = await InboundSmtp.SendAndDeliverAsync(Http, World, [anna, ben, dave]);
        var shared = sent.ReturnPaths[anna];
        Assert.Equal(shared, sent.ReturnPaths[ben]);
        Assert.Contains($"+{sent.Id}-m-", shared, StringComparison.Ordinal);

        // Anna's copy names the "several" return path; she reports Dave (another transaction) and a stranger.
        foreach (var victim in new[] { dave, "stranger@example.test" })
        {
            var forged = InboundSmtp.Fixture("postfix-user-unknown.eml", shared, sent.MessageIdHeader, "carol@example.org", victim);
            Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "", shared, forged));
        }

        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)message.Recipient(dave)["status"]);
        Assert.Empty(message.Events("bounced"));
        Assert.Null(await SuppressionAsync(dave));
        Assert.Null(await SuppressionAsync("stranger@example.test"));
        Assert.Equal(2, (await InboundLinkedToAsync(sent.Id)).Count);

        // Ben's own MTA reporting Ben through the same return path is acted on.
        var genuine = InboundSmtp.Fixture("postfix-user-unknown.eml", shared, sent.MessageIdHeader, "carol@example.org", ben);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "", shared, genuine));
        message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("bounced", (string?)message.Recipient(ben)["status"]);
        Assert.Equal("delivered", (string?)message.Recipient(anna)["status"]);
        Assert.Equal("hard_bounce", (string?)(await SuppressionAsync(ben))?["reason"]);
    }

    [Fact]
    public async Task A_DSN_naming_another_address_than_its_return_path_s_recipient_is_not_acted_on()
    {
        var sent = await SendAndDeliverAsync("erin");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", "someone-else@example.test");

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "", sent.ReturnPath, dsn));

        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)message.Recipient(sent.Recipient)["status"]);
        Assert.Empty(message.Events("bounced"));
        Assert.Null(await SuppressionAsync(sent.Recipient));
        Assert.Null(await SuppressionAsync("someone-else@example.test"));
        Assert.Single(await InboundLinkedToAsync(sent.Id));
    }

    [Fact]
    public async Task A_DSN_from_a_real_sender_is_stored_as_mail_and_bounces_nobody()
    {
        var sent = await SendAndDeliverAsync("frank");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "prankster@elsewhere.test", sent.ReturnPath, dsn));

        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)message.Recipient(sent.Recipient)["status"]);
        Assert.Empty(message.Events("bounced"));
        Assert.Null(await SuppressionAsync(sent.Recipient));
        var stored = Assert.Single(await InboundLinkedToAsync(sent.Id));
        Assert.Equal("prankster@elsewhere.test", (string?)stored["envelope"]!["mail_from"]);
        Assert.Equal("Undelivered Mail Returned to Sender", (string?)stored["subject"]);
    }

    [Fact]
    public async Task A_complaint_that_does_not_quote_our_message_or_names_a_stranger_suppresses_nobody()
    {
        var sent = await SendAndDeliverAsync("gina");
        var otherMessage = InboundSmtp.Fixture("arf-abuse-report.eml", sent.ReturnPath, "someone-elses-message@elsewhere.test", "kate@mailprovider.example", sent.Recipient);
        var stranger = InboundSmtp.Fixture("arf-abuse-report.eml", sent.ReturnPath, sent.MessageIdHeader, "kate@mailprovider.example", "stranger@example.test");

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "anyone@elsewhere.test", sent.ReturnPath, otherMessage));
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "anyone@elsewhere.test", sent.ReturnPath, stranger));

        var message = await Http.GetMessageAsync(sent.Id);
        Assert.Empty(message.Events("complained"));
        Assert.Null(await SuppressionAsync(sent.Recipient));
        Assert.Null(await SuppressionAsync("stranger@example.test"));
        Assert.Equal(2, (await InboundLinkedToAsync(sent.Id)).Count);
    }

    [Fact]
    public async Task A_return_path_of_another_sent_message_is_refused_once_its_domain_is_not_ours()
    {
        var sent = await SendAndDeliverAsync("dave");
        var foreign = sent.ReturnPath.Replace(ReturnPathDomain, "gmail.test", StringComparison.Ordinal);

        Assert.StartsWith("550 5.7.1", (await InboundSmtp.TryRecipientAsync(App.InboundPort, foreign)).Rcpt);
        Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(App.InboundPort, sent.ReturnPath)).Rcpt);
    }
}

public sealed class EmbeddedInboundBounceTests(DeliveryWorld world) : InboundBounceTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisInboundBounceTests(DeliveryWorld world) : InboundBounceTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
