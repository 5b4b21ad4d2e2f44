using System.Text.Json;
using System.Globalization;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Inbound;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Watching;

/// <summary>
/// With <c>Logging__Console__FormatterName=json</c>, as a log shipper would read it: each delivery
/// attempt, and each message received on port 25, is one JSON line with its fields named.
/// </summary>
public sealed class JsonLogTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private const int DeliveryAttemptEvent = 2024;
    private const int InboundMessageEvent = 1207;
    private const int InboundReportRecordedEvent = 1201;
    private const int InboundMailStoredEvent = 1202;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Json_console_logging_writes_each_delivery_attempt_as_one_json_line_with_mx_tls_reply_duration_and_outcome()
    {
        await using var app = SendApiProcess.Start(world.Settings(new() { ["Logging:Console:FormatterName"] = "json" }));
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Timeout));
        using var client = app.Client();
        var delivered = await client.SendAsync(new { from = "a@acme.test", to = new[] { "bob@example.test" }, subject = "ok", text = "x" });
        var failed = await client.SendAsync(new { from = "a@acme.test", to = new[] { "reject-me@example.test" }, subject = "5xx", text = "x" });
        await client.WaitForStatusAsync(delivered, Timeout, "delivered");
        await client.WaitForStatusAsync(failed, Timeout, "failed");

        var attempts = (await EventLinesAsync(app, DeliveryAttemptEvent, count: 2)).Select(l => l.State).ToList();
        var ok = Assert.Single(attempts, a => a.GetProperty("MessageId").GetString() == delivered);
        Assert.Equal("example.test", ok.GetProperty("RecipientDomain").GetString());
        Assert.Equal("mx1.example.test", ok.GetProperty("MxHost").GetString());
        Assert.Equal("127.0.0.2", ok.GetProperty("MxIp").GetString());
        Assert.False(ok.GetProperty("Tls").GetBoolean()); // the test MX offers no STARTTLS
        Assert.Equal(250, ok.GetProperty("ReplyCode").GetInt32());
        Assert.Equal("delivered", ok.GetProperty("Outcome").GetString());
        Assert.Equal(1, ok.GetProperty("Attempt").GetInt32());
        Assert.InRange(ok.GetProperty("DurationMs").GetInt64(), 0, 30_000);

        var refused = Assert.Single(attempts, a => a.GetProperty("MessageId").GetString() == failed);
        Assert.Equal(550, refused.GetProperty("ReplyCode").GetInt32());
        Assert.Equal("5.1.1", refused.GetProperty("EnhancedCode").GetString());
        Assert.Equal("failed", refused.GetProperty("Outcome").GetString());
    }

    [Fact]
    public async Task Json_console_logging_writes_each_inbound_message_as_one_json_line_with_its_kind_client_account_and_message()
    {
        var inboundPort = FreePort.Tcp();
        await using var app = SendApiProcess.Start(world.Settings(new()
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Smtp:Inbound:Port"] = inboundPort.ToString(CultureInfo.InvariantCulture),
            ["Delivery:ReturnPathDomain"] = "bounces.sendapi.test",
        }));
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Timeout));
        using var client = app.Client();
        var sent = await InboundSmtp.SendAndDeliverAsync(client, world, "carol", "a@acme.test", "comes back", "x");

        // Its recipient's server bounces it (a DSN from the null sender), then its recipient answers it.
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(inboundPort, "", sent.ReturnPath, dsn));
        var reply = InboundSmtp.Fixture("human-reply.eml", sent.ReturnPath, sent.MessageIdHeader, "noah@example.com", sent.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(inboundPort, sent.Recipient, sent.ReturnPath, reply));

        var lines = await EventLinesAsync(app, InboundMessageEvent, count: 2);
        Assert.Equal(["dsn", "reply"], lines.Select(l => l.State.GetProperty("Kind").GetString()));
        foreach (var (state, line, _) in lines)
        {
            Assert.Equal("127.0.0.1", state.GetProperty("Client").GetString());
            Assert.Equal("admin", state.GetProperty("Account").GetString());
            Assert.Equal(sent.Id, state.GetProperty("MessageId").GetString());
            Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
            Assert.Equal("SendApi.Api.Features.Inbound.InboundSmtpHandler", line.GetProperty("Category").GetString());
            Assert.Contains(sent.Id, line.GetProperty("Message").GetString(), StringComparison.Ordinal);
        }

        // Each comes after the lines about what it did: the bounce recorded on the message, the reply stored as mail.
        var recorded = Assert.Single(await EventLinesAsync(app, InboundReportRecordedEvent, count: 1));
        Assert.Equal(sent.Id, recorded.State.GetProperty("MessageId").GetString());
        Assert.InRange(recorded.Position, 0, lines[0].Position);
        var stored = Assert.Single(await EventLinesAsync(app, InboundMailStoredEvent, count: 1));
        Assert.Equal(sent.Id, stored.State.GetProperty("InReplyTo").GetString());
        Assert.InRange(stored.Position, lines[0].Position, lines[1].Position);
    }

    /// <summary>
    /// The lines of event <paramref name="eventId"/> in the output, in order, once <paramref name="count"/>
    /// are there: each line's state, the whole line and its position in the output. Every line of the output must be JSON.
    /// </summary>
    private async Task<List<(JsonElement State, JsonElement Line, int Position)>> EventLinesAsync(SendApiProcess app, int eventId, int count)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var found = new List<(JsonElement, JsonElement, int)>();
            var lines = app.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var position = 0; position < lines.Length; position++)
            {
                using var json = JsonDocument.Parse(lines[position]);
                if (json.RootElement.GetProperty("EventId").GetInt32() == eventId)
                {
                    var root = json.RootElement.Clone();
                    found.Add((root.GetProperty("State"), root, position));
                }
            }

            if (found.Count >= count || DateTime.UtcNow > deadline)
            {
                foreach (var (_, line, _) in found)
                {
                    output.WriteLine(line.GetRawText());
                }

                return found;
            }

            await Task.Delay(100);
        }
    }
}
