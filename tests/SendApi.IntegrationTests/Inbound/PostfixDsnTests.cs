using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// A bounce written by a real MTA, not a fixture: SendApi delivers to a Postfix relay (the MX of
/// relay.test), which accepts the message with 250 and relays it to a next hop that refuses the
/// recipient with "550 5.1.1". Postfix then writes its own DSN (multipart/report) to SendApi's VERP
/// return path and delivers it to SendApi's port 25, as it would across the internet: the recipient
/// that was "delivered" becomes "bounced" and the address is suppressed. Embedded store only: what
/// is under test is reading Postfix's report, which does not depend on the store.
/// </summary>
public sealed class PostfixDsnTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ReturnPathDomain = "bounces.sendapi.test";
    private const string Recipient = "nosuchuser@relay.test";

    // 127.0.0.2-.9 are DeliveryWorld's; these are this test's own.
    private const string RelayIp = "127.0.0.20";
    private const string RefusingHopIp = "127.0.0.21";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private DnsServer _dns = null!;
    private PostfixSmtpSink _refusingHop = null!;
    private PostfixRelay _postfix = null!;
    private SendApiApp _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // SendApi connects to every MX on Delivery:Port, so the relay's smtpd listens on that port.
        var deliveryPort = FreePort.Tcp();
        var dns = DnsServer.StartAsync(zone => zone.Mx("relay.test", "mx.relay.test", 10).A("mx.relay.test", RelayIp));
        var refusingHop = PostfixSmtpSink.StartAsync(RefusingHopIp, FreePort.Tcp(), "-f", "RCPT", "-B", "550 5.1.1 No such user");
        await Task.WhenAll(dns, refusingHop);
        (_dns, _refusingHop) = (dns.Result, refusingHop.Result);

        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Delivery:Port"] = deliveryPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ConnectTimeout"] = "3s",
            ["Delivery:CommandTimeout"] = "15s",
            ["Delivery:ReturnPathDomain"] = ReturnPathDomain,
        });

        // The bounce goes where the envelope sender's domain points: SendApi's inbound listener.
        _postfix = await PostfixRelay.StartAsync(
            RelayIp,
            deliveryPort,
            relayDomains: ["relay.test"],
            routes: new Dictionary<string, IPEndPoint>
            {
                ["relay.test"] = new(IPAddress.Parse(RefusingHopIp), _refusingHop.Port),
                [ReturnPathDomain] = new(IPAddress.Loopback, _app.InboundPort),
            });
        _http = _app.Client();
    }

    public async Task DisposeAsync()
    {
        if (_postfix is not null)
        {
            // With --logger "console;verbosity=detailed" this shows the whole exchange, DSN included.
            output.WriteLine(_postfix.Describe());
        }

        _http?.Dispose();
        await Task.WhenAll(
            _app?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            _postfix?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            _refusingHop?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            _dns?.DisposeAsync().AsTask() ?? Task.CompletedTask);
    }

    [Fact]
    public async Task A_DSN_from_a_real_Postfix_marks_the_delivered_recipient_bounced_and_suppresses_it()
    {
        var id = await _http.SendAsync(new { from = "orders@acme.test", to = new[] { Recipient }, subject = "Your order", text = "Thanks" });

        // The relay answers 250 before it tries the next hop, so SendApi first records a delivery;
        // the DSN can follow within a poll interval, so "bounced" is accepted here too.
        await WithPostfixLogAsync(() => _http.WaitForStatusAsync(id, Patience, "delivered", "bounced"));
        var message = await WithPostfixLogAsync(() => _http.WaitForStatusAsync(id, Patience, "bounced"));
        var bouncedLine = await _postfix.WaitForLogLineAsync(
            line => line.Contains($"to=<{Recipient}>", StringComparison.Ordinal) && line.Contains("status=bounced", StringComparison.Ordinal),
            Patience,
            "the refusal of the recipient by the next hop");
        var dsnSentLine = await _postfix.WaitForLogLineAsync(
            line => line.Contains($"to=<bounces+{id}-0-", StringComparison.OrdinalIgnoreCase) && line.Contains($"@{ReturnPathDomain}>", StringComparison.OrdinalIgnoreCase)
                && line.Contains("status=sent", StringComparison.Ordinal),
            Patience,
            "the DSN accepted by SendApi's port 25");
        var dsn = _postfix.SentContent(QueueId(dsnSentLine));
        var json = message.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        output.WriteLine($"--- GET /messages/{id} ---\n{json}\n--- the DSN as Postfix sent it ---\n{dsn}");

        var diagnostics = $"\n{json}\n--- DSN ---\n{dsn}\n{_postfix.Describe()}";
        var recipient = message.Recipient(Recipient);
        Assert.True((string?)recipient["status"] == "bounced", "recipient status" + diagnostics);

        var delivered = message.Events("delivered");
        Assert.True(delivered.Count == 1 && (int?)delivered[0]["smtp_code"] == 250, "one delivered event with Postfix's 250" + diagnostics);

        var bouncedEvents = message.Events("bounced");
        Assert.True(bouncedEvents.Count == 1 && (string?)bouncedEvents[0]["recipient"] == Recipient, "one bounced event for the recipient" + diagnostics);
        var bounced = bouncedEvents[0];
        var detail = (string?)bounced["detail"] ?? string.Empty;
        Assert.True(detail.StartsWith("hard bounce", StringComparison.Ordinal), "a hard bounce" + diagnostics);
        Assert.True(detail.Contains("5.1.1", StringComparison.Ordinal), "the DSN's Status 5.1.1 in the detail" + diagnostics);

        // Remote-MTA names the hop that refused: only Postfix's report can tell SendApi that.
        Assert.True(detail.Contains(RefusingHopIp, StringComparison.Ordinal), "the reporting hop in the detail" + diagnostics);
        Assert.True((int?)bounced["smtp_code"] == 550, "smtp_code 550 from the Diagnostic-Code" + diagnostics);
        Assert.Contains("dsn=5.1.1", bouncedLine, StringComparison.Ordinal);

        using var response = await _http.GetAsync($"/suppressions/{Uri.EscapeDataString(Recipient)}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /suppressions answered {(int)response.StatusCode}: {body}" + diagnostics);
        var suppression = JsonNode.Parse(body)!;
        Assert.Equal("hard_bounce", (string?)suppression["reason"]);
        Assert.Equal(id, (string?)suppression["message_id"]);
    }

    /// <summary>"Nov 22 18:20:58 mta postfix-relay/smtp[13957]: 48742B202F5: to=&lt;…&gt;, …" → "48742B202F5".</summary>
    private static string QueueId(string logLine)
    {
        var start = logLine.IndexOf("]: ", StringComparison.Ordinal) + 3;
        return logLine[start..logLine.IndexOf(':', start)];
    }

    /// <summary>Runs a wait whose timeout message should also carry what Postfix logged.</summary>
    private async Task<T> WithPostfixLogAsync<T>(Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{_postfix.Describe()}", ex);
        }
    }
}
