using System.Text.Json;
using SendApi.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Watching;

/// <summary>
/// With <c>Logging__Console__FormatterName=json</c>, as a log shipper would read it: each delivery
/// attempt is one JSON line with its fields named.
/// </summary>
public sealed class JsonLogTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private const int DeliveryAttemptEvent = 2024;
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

        var attempts = await AttemptLinesAsync(app, count: 2);
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

    /// <summary>The state of each attempt line in the output, once <paramref name="count"/> are there; every line of the output must be JSON.</summary>
    private async Task<List<JsonElement>> AttemptLinesAsync(SendApiProcess app, int count)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var attempts = new List<JsonElement>();
            foreach (var line in app.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                using var json = JsonDocument.Parse(line);
                if (json.RootElement.GetProperty("EventId").GetInt32() == DeliveryAttemptEvent)
                {
                    output.WriteLine(line);
                    attempts.Add(json.RootElement.GetProperty("State").Clone());
                }
            }

            if (attempts.Count >= count || DateTime.UtcNow > deadline)
            {
                return attempts;
            }

            await Task.Delay(100);
        }
    }
}
