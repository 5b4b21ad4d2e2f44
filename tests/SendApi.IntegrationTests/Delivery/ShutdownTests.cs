using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>A graceful stop in the middle of delivery records what was done and puts the rest back, due at once.</summary>
public sealed class ShutdownTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static object Message(string to) => new { from = "a@acme.test", to = new[] { to }, subject = "shutdown", text = "x" };

    [Fact]
    public async Task A_stop_mid_delivery_keeps_what_was_delivered_and_the_rest_goes_out_at_the_next_start_not_after_the_lease()
    {
        await using var redis = await RedisServer.StartAsync();
        // The default lease (2 minutes): mail left claimed by the stop would wait that long.
        var settings = world.Settings(new() { ["ConnectionStrings:Redis"] = redis.ConnectionString });
        var run = Guid.NewGuid().ToString("N")[..8];

        var fast = new List<string>();
        var slow = new List<string>();
        IReadOnlyList<string> processing;
        await using (var first = new SendApiApp(settings))
        {
            var http = first.Client();
            for (var i = 0; i < 3; i++)
            {
                fast.Add(await http.SendAsync(Message($"fast-{run}-{i}@example.test")));
            }

            foreach (var id in fast)
            {
                await http.WaitForStatusAsync(id, Patience, "delivered");
            }

            // The MX answers DATA to "slow" recipients after 2 s: the stop comes while they are in flight.
            for (var i = 0; i < 3; i++)
            {
                slow.Add(await http.SendAsync(Message($"slow-{run}-{i}@example.test")));
            }

            foreach (var id in slow)
            {
                await http.WaitForStatusAsync(id, Patience, "sending");
            }

            processing = new DeliveryJobs(first).Processing();
            Assert.NotEmpty(processing);
        }

        var stoppedAt = DateTime.UtcNow;
        await using var second = new SendApiApp(settings);
        var http2 = second.Client();
        foreach (var id in slow)
        {
            await http2.WaitForStatusAsync(id, Patience, "delivered");
        }

        // What was delivered before the stop stays recorded and is not sent again.
        foreach (var id in fast)
        {
            var message = await http2.GetMessageAsync(id);
            Assert.Equal("delivered", (string?)message["status"]);
            Assert.Single(message.Events("delivered"));
        }

        Assert.Equal(3, world.Mx1.Messages.Count(m => m.RcptTos.Any(r => r.StartsWith($"fast-{run}-", StringComparison.Ordinal))));

        // The jobs that were running ended by recording the stop, and say so on the dashboard.
        var jobs = new DeliveryJobs(second);
        var states = processing.Select(jobs.State).ToList();
        output.WriteLine($"slow mail delivered {(DateTime.UtcNow - stoppedAt).TotalSeconds:0.0} s after the stop; jobs running at the stop: "
            + string.Join("; ", states.Select(s => $"{s.StateName} {(s.Data.TryGetValue("Result", out var r) ? r : "")}")));
        Assert.Contains(states, s => s.StateName == "Succeeded" && (bool?)JsonNode.Parse(s.Data["Result"])!["StoppedByShutdown"] == true);
    }
}
