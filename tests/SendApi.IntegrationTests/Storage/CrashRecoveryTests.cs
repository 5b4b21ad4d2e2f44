using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Storage;

/// <summary>Nothing acknowledged with 202 is lost when the process is SIGKILLed mid-delivery.</summary>
public sealed class CrashRecoveryTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Every_accepted_message_is_delivered_after_a_SIGKILL_during_delivery_and_a_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            // A dead worker's messages come back after this long.
            ["Delivery:ClaimLease"] = "3s",
        });
        var run = Guid.NewGuid().ToString("N")[..8];

        var ids = new List<string>();
        await using (var first = SendApiProcess.Start(settings))
        {
            Assert.Null(await first.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
            using var client = first.Client();

            // Half the recipients' MX answers DATA only after 2 s, so those deliveries are in
            // flight when the process dies; the others are delivered at once.
            for (var i = 0; i < 40; i++)
            {
                var local = i % 2 == 0 ? $"slow-{run}-{i}" : $"fast-{run}-{i}";
                ids.Add(await client.SendAsync(new { from = "a@acme.test", to = new[] { $"{local}@example.test" }, subject = $"crash {i}", text = "x" }));
            }

            await world.Mx1.WaitForMessagesAsync(5, TimeSpan.FromSeconds(20), m => m.RcptTos.Any(r => r.Contains(run)));
            first.Kill();
        }

        var beforeRestart = Delivered().Count;
        await using var second = SendApiProcess.Start(settings);
        Assert.Null(await second.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Delivered().Count < ids.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var delivered = Delivered();
        var missing = ids.Where(id => !delivered.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} accepted message(s) never arrived: {string.Join(", ", missing)}\n{second.Output}");

        using var client2 = second.Client();
        foreach (var id in ids)
        {
            var status = await client2.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");
            Assert.Equal("delivered", (string?)status["status"]);
        }

        var duplicates = delivered.Values.Sum() - delivered.Count;
        output.WriteLine($"{ids.Count} accepted, {beforeRestart} delivered before the kill, all {delivered.Count} delivered after restart, {duplicates} duplicate(s).");

        Dictionary<string, int> Delivered() =>
            world.Mx1.Messages
                .Where(m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)))
                .GroupBy(m => m.Parse().MessageId!.Split('@')[0])
                .ToDictionary(g => g.Key, g => g.Count());
    }
}

/// <summary>A wrong setting stops the start with a message that names it.</summary>
public sealed class ConfigurationErrorTests
{
    [Theory]
    [InlineData("Delivery:Port", "0", "Delivery__Port")]
    [InlineData("Delivery:MaxAge", "forever", "Delivery__MaxAge")]
    [InlineData("Delivery:RetrySchedule", "1m,soon", "Delivery__RetrySchedule")]
    [InlineData("Dns:Servers", "dns.example.com", "Dns__Servers")]
    [InlineData("Admin:ApiKey", "short", "Admin__ApiKey")]
    [InlineData("ConnectionStrings:Redis", "127.0.0.1:6379,protocol=carrier-pigeon", "ConnectionStrings__Redis")]
    [InlineData("Messages:MaxSizeBytes", "12", "Messages__MaxSizeBytes")]
    public async Task Bad_setting_fails_the_start_naming_it(string setting, string value, string named)
    {
        await using var app = new SendApiApp(new Dictionary<string, string?> { [setting] = value });
        var ex = Assert.ThrowsAny<Exception>(() => app.Client());
        var messages = string.Join("\n", Flatten(ex).Select(e => e.Message));
        Assert.Contains(named, messages);
    }

    [Fact]
    public async Task The_process_exits_non_zero_and_prints_the_setting()
    {
        await using var process = SendApiProcess.Start(new Dictionary<string, string?> { ["Delivery:MaxAge"] = "forever" });
        var exitCode = await process.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(exitCode);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Delivery__MaxAge", process.Output);
    }

    private static IEnumerable<Exception> Flatten(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
