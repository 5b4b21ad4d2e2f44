using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>Connection reuse, per-domain throttling, isolation, adaptive backoff, VERP and required TLS, on real peers and real time.</summary>
public sealed class DeliveryEngineTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    private static object Message(string to, string subject = "engine") => new { from = "a@acme.test", to = new[] { to }, subject, text = "x" };

    [Fact]
    public async Task One_connection_carries_many_messages()
    {
        await using var app = new SendApiApp(world.Settings());
        var http = app.Client();
        var recipients = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var to = Unique($"reuse{i}");
            recipients.Add(to);
            var id = await http.SendAsync(Message(to));
            await http.WaitForStatusAsync(id, Patience, "delivered");
        }

        var sessions = world.Mx1.Messages.Where(m => recipients.Intersect(m.RcptTos).Any()).Select(m => m.Peer).Distinct().Count();
        output.WriteLine($"10 messages over {sessions} SMTP session(s)");
        Assert.Equal(1, sessions);
    }

    [Fact]
    public async Task Return_path_names_the_message_and_the_recipient_and_is_signed()
    {
        await using var app = new SendApiApp(world.Settings(new() { ["Delivery:ReturnPathDomain"] = "bounces.sendapi.test" }));
        var http = app.Client();
        var to = Unique("verp");
        var id = await http.SendAsync(Message(to));

        var received = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.Matches($"^bounces\\+{id}-0-[a-z2-7]{{8}}@bounces\\.sendapi\\.test$", received.MailFrom);
        Assert.True(ReturnPath.TryDecode(received.MailFrom, out var decoded));
        Assert.Equal(id, decoded.MessageId);
        Assert.Equal(0, decoded.RecipientIndex);
        Assert.NotNull(decoded.Signature);
    }

    [Fact]
    public async Task Domain_limited_to_20_per_second_gets_20_per_second_from_two_instances_on_one_redis()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Delivery:Domains:throttled.test:MaxMessagesPerSecond"] = "20",
        });
        await using var first = new SendApiApp(settings);
        await using var second = new SendApiApp(settings);
        var clients = new[] { first.Client(), second.Client() };
        var run = Guid.NewGuid().ToString("N")[..8];

        // 300 messages, half through each instance: 15 s of work at 20/s.
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            clients[i % 2].SendAsync(Message($"rate-{run}-{i}@throttled.test"))));
        var received = await world.Mx1.WaitForMessagesAsync(260, TimeSpan.FromSeconds(40), m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)));

        var times = received.Select(m => m.ReceivedAt).Order().ToList();
        // The busiest 10 s: never over the limit (two instances must not make it 40/s), and at it
        // (the limit is what they reach). The busiest rather than the first: a stall of the whole
        // test process (a CI run had one of 2 s, with other tests beside it) says nothing of the limit.
        // Windows start a second after the first message, past the start's burst (the first
        // instant's turns are all free), as the limit's own schedule does.
        var window = TimeSpan.FromSeconds(10);
        var starts = times.Where(t => t >= times[0] + TimeSpan.FromSeconds(1) && t + window <= times[^1]).ToList();
        var busiest = starts.Select(start => times.Count(t => t >= start && t < start + window)).Max();
        var firstSecond = times[0] + TimeSpan.FromSeconds(1);
        output.WriteLine($"{busiest} messages in the busiest 10 s window (target 200 ± 10 %); per second from the first: " +
            string.Join(" ", Enumerable.Range(0, 12).Select(s => times.Count(t => t >= firstSecond.AddSeconds(s) && t < firstSecond.AddSeconds(s + 1)))));
        Assert.InRange(busiest, 180, 220);
    }

    [Fact]
    public async Task Mail_still_waiting_for_its_domain_limit_at_the_maximum_age_fails()
    {
        // One message per 100 s: the first goes at once, the second waits past a 3 s maximum age
        // (and its grace, here also 3 s).
        await using var app = new SendApiApp(world.Settings(new()
        {
            ["Delivery:Domains:throttled.test:MaxMessagesPerSecond"] = "0.01",
            ["Delivery:MaxAge"] = "3s",
        }));
        var http = app.Client();
        var run = Guid.NewGuid().ToString("N")[..8];
        var first = await http.SendAsync(Message($"first-{run}@throttled.test"));
        await http.WaitForStatusAsync(first, Patience, "delivered");

        var second = await http.SendAsync(Message($"second-{run}@throttled.test"));
        var failed = await http.WaitForStatusAsync(second, Patience, "failed");

        var recipient = failed["recipients"]![0]!;
        Assert.Equal(0, (int?)recipient["attempts"]);
        Assert.Contains("sending limit", (string?)Assert.Single(failed.Events("failed"))["detail"]);
        Assert.DoesNotContain(world.Mx1.Messages, m => m.RcptTos.Contains($"second-{run}@throttled.test"));
    }

    [Fact]
    public async Task A_tarpitting_domain_does_not_slow_delivery_to_another()
    {
        await using var app = new SendApiApp(world.Settings());
        var http = app.Client();
        var run = Guid.NewGuid().ToString("N")[..8];

        // Twenty messages whose MX takes 2 s to answer DATA, then five to a fast domain.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => http.SendAsync(Message($"slow-{run}-{i}@tarpit.test"))));
        var started = DateTime.UtcNow;
        var fast = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => http.SendAsync(Message(Unique($"fast{i}")))));
        foreach (var id in fast)
        {
            var done = await http.WaitForStatusAsync(id, Patience, "delivered");
            output.WriteLine($"{id}: " + string.Join(", ", done["events"]!.AsArray().Select(e => $"{e!["type"]} {(DateTimeOffset)e["at"]! - started:ss\\.fff}")));
        }

        var fastTook = DateTime.UtcNow - started;
        var slowDone = world.Tarpit.Messages.Count(m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)));
        output.WriteLine($"fast domain delivered in {fastTook.TotalMilliseconds:0} ms while {slowDone}/20 tarpit messages were done");
        Assert.True(fastTook < TimeSpan.FromSeconds(1.5), $"fast mail took {fastTook}");
        Assert.True(slowDone < 20, "the tarpit was already done: the test proves nothing");
    }

    [Fact]
    public async Task Fast_mail_is_not_held_up_while_every_worker_waits_on_a_slow_mx_past_its_jobs_lifetime()
    {
        // Two workers with two slots each, and jobs that stop taking mail after 200 ms unless a
        // message they took before then is still in flight.
        await using var app = new SendApiApp(world.Settings(new()
        {
            ["Delivery:Workers"] = "2",
            ["Delivery:ConcurrencyPerJob"] = "2",
            ["Delivery:JobLifetime"] = "200ms",
        }));
        var http = app.Client();
        var run = Guid.NewGuid().ToString("N")[..8];

        // Three messages whose MX answers DATA after 2 s take both workers, one of them with a slot free.
        var slow = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => http.SendAsync(Message($"slow-{run}-{i}@tarpit.test"))));
        foreach (var id in slow)
        {
            await http.WaitForStatusAsync(id, Patience, "sending");
        }

        // While they are in flight, and past the jobs' lifetime, fast mail still goes out at once:
        // the slow MX costs the slots it holds, not the workers.
        var inFlightSince = DateTime.UtcNow;
        var latencies = new List<TimeSpan>();
        while (DateTime.UtcNow - inFlightSince < TimeSpan.FromSeconds(1.2))
        {
            var sent = DateTime.UtcNow;
            var id = await http.SendAsync(Message(Unique("fast")));
            await http.WaitForStatusAsync(id, Patience, "delivered");
            latencies.Add(DateTime.UtcNow - sent);
        }

        var slowDone = world.Tarpit.Messages.Count(m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)));
        output.WriteLine($"fast mail took {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:0} ms"))} while {slowDone}/3 tarpit messages were done");
        Assert.True(slowDone < 3, "the tarpit was already done: the test proves nothing");
        Assert.All(latencies, l => Assert.True(l < TimeSpan.FromSeconds(1.2), $"fast mail took {l.TotalMilliseconds:0} ms"));
    }

    [Fact]
    public async Task A_421_4_7_28_slows_the_domain_down_and_the_mail_still_arrives()
    {
        await using var app = new SendApiApp(world.Settings(new() { ["Delivery:RetrySchedule"] = "1s" }));
        var http = app.Client();
        var to = Unique("ratelimit-once");
        var id = await http.SendAsync(Message(to));

        var message = await http.WaitForStatusAsync(id, Patience, "delivered");
        var throttled = Assert.Single(message.Events("throttled"));
        Assert.Contains("gmail-rate", (string?)throttled["detail"]);
        Assert.Equal(421, (int?)throttled["smtp_code"]);
        Assert.Equal(2, (int?)message.Recipient(to)["attempts"]);
    }

    [Fact]
    public async Task Plaintext_is_refused_for_a_domain_that_requires_tls()
    {
        await using var app = new SendApiApp(world.Settings(new() { ["Delivery:RequireTlsDomains"] = "example.test" }));
        var http = app.Client();
        var to = Unique("secure");
        var id = await http.SendAsync(Message(to));

        var message = await http.WaitForStatusAsync(id, Patience, "deferred");
        Assert.Equal("4.7.5", (string?)message.Recipient(to)["last_response"]!["enhanced_code"]);
        Assert.Contains("TLS is required", (string?)message.Recipient(to)["last_response"]!["text"]);
        Assert.DoesNotContain(world.Mx1.Messages, m => m.RcptTos.Contains(to));
    }

    [Fact]
    public async Task Every_attempt_records_host_address_and_duration()
    {
        await using var app = new SendApiApp(world.Settings());
        var http = app.Client();
        var id = await http.SendAsync(Message(Unique("timed")));
        var delivered = (await http.WaitForStatusAsync(id, Patience, "delivered")).Events("delivered").Single();
        Assert.StartsWith("mx1.example.test[127.0.0.2]:", (string?)delivered["mx"]);
        Assert.NotNull((long?)delivered["duration_ms"]);
    }
}
