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
public abstract class InboundBounceTests(DeliveryWorld world) : IAsyncLifetime
{
    private const string ReturnPathDomain = "bounces.sendapi.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private SendApiApp _app = null!;
    private HttpClient _http = null!;

    protected DeliveryWorld World { get; } = world;

    private StorageUnderTest _storage = null!;

    /// <summary>True to run on a redis-server of the class's own, false on the embedded store.</summary>
    protected abstract bool OnRedis { get; }

    public async Task InitializeAsync()
    {
        _storage = await StorageUnderTest.StartAsync(OnRedis);
        var settings = _storage.Settings();
        settings["Delivery:ReturnPathDomain"] = ReturnPathDomain;
        _app = new SendApiApp(World.Settings(settings));
        _http = _app.Client();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _storage.DisposeAsync();
    }

    /// <summary>Sends one message to a fresh example.test address, waits until the MX took it, and checks its return path is ours.</summary>
    private async Task<InboundSmtp.Sent> SendAndDeliverAsync(string local)
    {
        var sent = await InboundSmtp.SendAndDeliverAsync(_http, World, local, "orders@acme.test", "Your order", "Thanks");
        Assert.EndsWith("@" + ReturnPathDomain, sent.ReturnPath);
        return sent;
    }

    private async Task<JsonNode?> SuppressionAsync(string address)
    {
        var response = await _http.GetAsync($"/suppressions/{Uri.EscapeDataString(address)}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_hard_bounce_marks_the_recipient_bounced_and_suppresses_the_address()
    {
        var sent = await SendAndDeliverAsync("carol");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);

        var reply = await InboundSmtp.DeliverAsync(_app.InboundPort, "", sent.ReturnPath, dsn);

        Assert.StartsWith("250", reply);
        var message = await _http.GetMessageAsync(sent.Id);
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

        var again = await _http.PostAsJsonAsync("/messages", new { from = "orders@acme.test", to = new[] { sent.Recipient }, subject = "again", text = "x" });
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

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(_app.InboundPort, "", sent.ReturnPath, dsn));

        var message = await _http.GetMessageAsync(sent.Id);
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

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(_app.InboundPort, "fbl-bounces@feedback.mailprovider.test", sent.ReturnPath, arf));

        var message = await _http.GetMessageAsync(sent.Id);
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
        var before = await _http.GetMessageAsync(sent.Id);
        var reply = InboundSmtp.Fixture("out-of-office.eml", sent.ReturnPath, sent.MessageIdHeader, "liam@corp.example", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(_app.InboundPort, sent.Recipient, sent.ReturnPath, reply));

        var after = await _http.GetMessageAsync(sent.Id);
        Assert.Equal("delivered", (string?)after.Recipient(sent.Recipient)["status"]);
        Assert.Equal(before["events"]!.AsArray().Count, after["events"]!.AsArray().Count);
        Assert.Null(await SuppressionAsync(sent.Recipient));
    }

    [Theory]
    [InlineData("x@gmail.test")]
    [InlineData("postmaster@example.test")]
    [InlineData("bounces+0123456789abcdef0123456789abcdef-0@bounces.sendapi.test")]
    [InlineData("bounces+0123456789abcdef0123456789abcdef-0@gmail.test")]
    [InlineData("not-a-return-path@bounces.sendapi.test")]
    public async Task Port_25_never_relays_even_from_loopback(string recipient)
    {
        var (ehlo, rcpt) = await InboundSmtp.TryRecipientAsync(_app.InboundPort, recipient);

        Assert.StartsWith("550 5.7.1", rcpt);
        Assert.DoesNotContain("AUTH", ehlo);
        Assert.Contains("STARTTLS", ehlo);
    }

    [Fact]
    public async Task A_return_path_of_another_sent_message_is_refused_once_its_domain_is_not_ours()
    {
        var sent = await SendAndDeliverAsync("dave");
        var foreign = sent.ReturnPath.Replace(ReturnPathDomain, "gmail.test", StringComparison.Ordinal);

        Assert.StartsWith("550 5.7.1", (await InboundSmtp.TryRecipientAsync(_app.InboundPort, foreign)).Rcpt);
        Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(_app.InboundPort, sent.ReturnPath)).Rcpt);
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
