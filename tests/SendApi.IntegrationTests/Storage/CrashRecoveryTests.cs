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

        var killedAt = DateTime.UtcNow;
        var beforeRestart = Delivered().Count;
        await using var second = SendApiProcess.Start(settings);
        Assert.Null(await second.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        var readyAt = DateTime.UtcNow;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Delivered().Count < ids.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var allArrivedAt = DateTime.UtcNow;
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
        output.WriteLine($"{ids.Count} accepted, {beforeRestart} delivered before the kill, all {delivered.Count} delivered after restart, {duplicates} duplicate(s); " +
            $"the last arrived {(allArrivedAt - killedAt).TotalSeconds:0.0} s after the kill, {(allArrivedAt - readyAt).TotalSeconds:0.0} s after the restart was ready (lease 3 s).");

        Dictionary<string, int> Delivered() =>
            world.Mx1.Messages
                .Where(m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)))
                .GroupBy(m => m.Parse().MessageId!.Split('@')[0])
                .ToDictionary(g => g.Key, g => g.Count());
    }
}

/// <summary>A dead instance is taken over when its heartbeat lapses, not when its claims' lease ends.</summary>
public sealed class InstanceTakeOverTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task A_restarted_instance_takes_over_a_killed_ones_messages_and_domain_slots_when_its_heartbeat_lapses_not_after_the_lease()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            // The lease is the default two minutes; the heartbeat lapses after three seconds.
            ["Delivery:InstanceHeartbeat"] = "1s",
            ["Delivery:InstanceTimeout"] = "3s",
            // The killed instance holds every connection slot of the domain: they must be freed too.
            ["Delivery:DefaultLimits:MaxConnections"] = "4",
        });
        var run = Guid.NewGuid().ToString("N")[..8];

        var ids = new List<string>();
        await using (var first = SendApiProcess.Start(settings))
        {
            Assert.Null(await first.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
            using var client = first.Client();
            // Their MX answers DATA only after 2 s: the first four are in flight when the process dies.
            for (var i = 0; i < 12; i++)
            {
                ids.Add(await client.SendAsync(new { from = "a@acme.test", to = new[] { $"slow-{run}-{i}@example.test" }, subject = $"takeover {i}", text = "x" }));
            }

            await client.WaitForStatusAsync(ids[0], TimeSpan.FromSeconds(20), "sending");
            first.Kill();
        }

        var killedAt = DateTime.UtcNow;
        await using var second = SendApiProcess.Start(settings);
        Assert.Null(await second.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        using var client2 = second.Client();
        foreach (var id in ids)
        {
            await client2.WaitForStatusAsync(id, TimeSpan.FromSeconds(45), "delivered");
        }

        var recovered = DateTime.UtcNow - killedAt;
        output.WriteLine($"All {ids.Count} delivered {recovered.TotalSeconds:0.0} s after the kill (lease 2 min, heartbeat timeout 3 s).");
        Assert.True(recovered < TimeSpan.FromSeconds(60), $"Recovery took {recovered.TotalSeconds:0} s.");
        Assert.Contains(second.Output.Split('\n'), line => line.Contains("Took over 1 instance(s)", StringComparison.Ordinal));
    }
}

/// <summary>Only mail in flight is claimed: what waits for a worker holds nothing that a crash could strand.</summary>
public sealed class WaitingMailCrashTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Mail_waiting_for_a_worker_at_a_SIGKILL_goes_out_at_the_restart_not_after_the_lease()
    {
        await using var redis = await RedisServer.StartAsync();
        var lease = TimeSpan.FromSeconds(20);
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Delivery:ClaimLease"] = $"{lease.TotalSeconds}s",
            // One worker with one slot: while it waits on the slow MX, the rest of the mail waits for it.
            ["Delivery:Workers"] = "1",
            ["Delivery:ConcurrencyPerJob"] = "1",
        });
        var run = Guid.NewGuid().ToString("N")[..8];

        string slow;
        var waiting = new List<string>();
        await using (var first = SendApiProcess.Start(settings))
        {
            Assert.Null(await first.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
            using var client = first.Client();
            slow = await client.SendAsync(new { from = "a@acme.test", to = new[] { $"slow-{run}@example.test" }, subject = "in flight", text = "x" });
            await client.WaitForStatusAsync(slow, TimeSpan.FromSeconds(20), "sending");
            for (var i = 0; i < 9; i++)
            {
                waiting.Add(await client.SendAsync(new { from = "a@acme.test", to = new[] { $"fast-{run}-{i}@example.test" }, subject = $"waiting {i}", text = "x" }));
            }

            // The one message in flight is the only claim; the job that will take the rest waits in
            // Hangfire's queue holding nothing.
            Assert.Equal(":1", await redis.ExecuteAsync("HLEN", "sendapi:claims"));
            Assert.Equal(":1", await redis.ExecuteAsync("HEXISTS", "sendapi:claims", slow));
            Assert.Equal("queued", (string?)(await client.GetMessageAsync(waiting[^1]))["status"]);
            first.Kill();
        }

        var killedAt = DateTime.UtcNow;
        await using var second = SendApiProcess.Start(settings);
        Assert.Null(await second.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        using var client2 = second.Client();
        foreach (var id in waiting)
        {
            await client2.WaitForStatusAsync(id, lease, "delivered");
        }

        var waitingDoneAfter = DateTime.UtcNow - killedAt;
        Assert.True(waitingDoneAfter < lease, $"the waiting mail went out {waitingDoneAfter.TotalSeconds:0.0} s after the kill, as if it had been claimed (lease {lease.TotalSeconds} s)");

        // The message that was in flight comes back when its lease runs out.
        await client2.WaitForStatusAsync(slow, lease + TimeSpan.FromSeconds(20), "delivered");
        output.WriteLine($"waiting mail delivered {waitingDoneAfter.TotalSeconds:0.0} s after the kill; the in-flight one {(DateTime.UtcNow - killedAt).TotalSeconds:0.0} s after (lease {lease.TotalSeconds} s)");
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

/// <summary>
/// A recipient whose MX answered 250 is not sent again after a SIGKILL, even when the attempt it
/// belonged to was still sending to another domain and so never recorded: its 250 was noted at once.
/// </summary>
public sealed class NotedAcceptanceCrashTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task A_recipient_delivered_before_a_SIGKILL_mid_attempt_gets_one_copy_after_the_take_over()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Delivery:InstanceHeartbeat"] = "1s",
            ["Delivery:InstanceTimeout"] = "3s",
        });
        var run = Guid.NewGuid().ToString("N")[..8];
        var (fast, slow) = ($"fast-{run}@example.test", $"slow-{run}@tarpit.test");

        string id;
        await using (var first = SendApiProcess.Start(settings))
        {
            Assert.Null(await first.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
            using var client = first.Client();
            // One attempt, two transactions in order: example.test answers at once, then tarpit.test
            // answers DATA only after 2 s. The process dies in between, before recording the attempt.
            id = await client.SendAsync(new { from = "a@acme.test", to = new[] { fast, slow }, subject = "noted", text = "x" });
            await world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20), m => m.RcptTos.Contains(fast));
            await Task.Delay(300);
            Assert.Equal("sending", (string?)(await client.GetMessageAsync(id)).Recipient(fast)["status"]);
            first.Kill();
        }

        await using var second = SendApiProcess.Start(settings);
        Assert.Null(await second.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        using var client2 = second.Client();
        var message = await client2.WaitForStatusAsync(id, TimeSpan.FromSeconds(45), "delivered");

        var copies = world.Mx1.Messages.Count(m => m.RcptTos.Contains(fast));
        output.WriteLine($"{fast}: {copies} cop(ies); {slow}: {world.Tarpit.Messages.Count(m => m.RcptTos.Contains(slow))}");
        Assert.Equal(1, copies);
        Assert.Equal("delivered", (string?)message.Recipient(fast)["status"]);
        Assert.Single(message.Events("delivered"), e => (string?)e["recipient"] == fast);
    }
}
