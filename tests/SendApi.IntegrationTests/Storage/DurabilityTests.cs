using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Storage;

/// <summary>Storage__Durability: what a 202 stands for, against real redis-servers.</summary>
public sealed class DurabilityTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Fsync_durability_stops_the_start_with_one_line_naming_the_setting_on_a_redis_that_fsyncs_once_a_second()
    {
        await using var redis = await RedisServer.StartAsync();
        Assert.Equal("+OK", await redis.ExecuteAsync("CONFIG", "SET", "appendfsync", "everysec"));
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Storage:Durability"] = "fsync",
        });

        await using (var refused = SendApiProcess.Start(settings))
        {
            var exit = await refused.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exit == 1, $"exit {exit}:\n{refused.Output}");
            var lines = refused.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var error = Assert.Single(lines, line => line.Contains("Storage__Durability=fsync", StringComparison.Ordinal));
            Assert.Contains("'appendonly yes' and 'appendfsync always'", error, StringComparison.Ordinal);
            Assert.Contains("appendfsync everysec", error, StringComparison.Ordinal);
            Assert.DoesNotContain(lines, line => line.Contains("Unhandled exception", StringComparison.Ordinal));
        }

        Assert.Equal("+OK", await redis.ExecuteAsync("CONFIG", "SET", "appendfsync", "always"));
        await using var started = SendApiProcess.Start(settings);
        Assert.Null(await started.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        using var client = started.Client();
        var id = await client.SendAsync(new { from = "a@acme.test", to = new[] { "fsync@example.test" }, subject = "fsync", text = "x" });
        await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");
    }

    [Fact]
    public async Task Replica_durability_without_a_replica_answers_503_with_retry_after_and_the_stored_message_may_still_be_delivered()
    {
        await using var redis = await RedisServer.StartAsync();
        var subject = $"no replica {Guid.NewGuid():N}";
        var submissionPort = FreePort.Tcp();
        await using var app = SendApiProcess.Start(world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Storage:Durability"] = "replica",
            ["Storage:DurabilityTimeout"] = "300ms",
            ["Smtp:Submission:Port"] = submissionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:Submission:TrustedNetworks"] = "127.0.0.0/8",
            ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
        }));
        Assert.Null(await app.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        using var client = app.Client();

        using var response = await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = new[] { "replica@example.test" }, subject, text = "x" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("The write is not confirmed durable.", (string?)problem["title"]);
        Assert.Contains("0 of 1 replica(s)", (string?)problem["detail"], StringComparison.Ordinal);

        // SMTP submission goes through the same intake: a temporary refusal the client's queue retries.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, submissionPort);
            var smtp = new RawSmtp(tcp.GetStream());
            Assert.StartsWith("220", await smtp.ReadReplyAsync());
            await smtp.CommandAsync("EHLO app.acme.test", "250");
            await smtp.CommandAsync("MAIL FROM:<a@acme.test>", "250");
            await smtp.CommandAsync("RCPT TO:<replica@example.test>", "250");
            await smtp.CommandAsync("DATA", "354");
            await smtp.WriteAsync($"From: a@acme.test\r\nSubject: {subject}\r\n\r\nx\r\n.\r\n");
            Assert.Equal("451 4.3.0 The message is not yet confirmed durable; please try again", (await smtp.ReadReplyAsync()).TrimEnd());
        }

        // At-least-once: the writes happened, only their durability was not confirmed.
        var delivered = await world.Mx1.WaitForMessagesAsync(2, TimeSpan.FromSeconds(20), m => m.Parse().Subject == subject);
        Assert.Equal(2, delivered.Count);
        Assert.Single(app.Output.Split('\n'), line => line.Contains("Writes are not acknowledged as durable", StringComparison.Ordinal));
    }
}

/// <summary>Storage__Durability=replica through a Sentinel failover.</summary>
public sealed class SentinelFailoverTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Replica_durability_loses_no_acknowledged_message_through_a_forced_sentinel_failover_under_load()
    {
        await using var redis = await RedisSentinelSet.StartAsync();
        var firstPrimary = await redis.PrimaryPortAsync();
        await using var app = SendApiProcess.Start(world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Storage:Durability"] = "replica",
            // Mail a delivery job had claimed when the primary went away waits for its lease (what
            // it had done may not have reached the new primary); short here, so the test sees it out.
            ["Delivery:ClaimLease"] = "5s",
        }));
        Assert.Null(await app.WaitUntilReadyOrExitAsync(TimeSpan.FromSeconds(30)));
        var run = Guid.NewGuid().ToString("N")[..8];

        // Eight clients send until told to stop; each retries a 503 with the same Idempotency-Key,
        // as a client should, and keeps the ids it got a 202 for.
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var refusals = 0;
        var failedOver = false;
        var acknowledgedAfterFailover = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            using var client = app.Client();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"{run}-{c}-{i}";
                var message = new { from = "a@acme.test", to = new[] { $"failover-{run}@example.test" }, subject = key, text = "x" };
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/messages") { Content = JsonContent.Create(message) };
                    request.Headers.Add("Idempotency-Key", key);
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        acknowledged.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!);
                        if (Volatile.Read(ref failedOver))
                        {
                            Interlocked.Increment(ref acknowledgedAfterFailover);
                        }

                        break;
                    }

                    Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"POST /messages answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    Interlocked.Increment(ref refusals);
                    await Task.Delay(200);
                }
            }
        })).ToList();

        await WaitUntilAsync(() => acknowledged.Count >= 100, TimeSpan.FromSeconds(20), "100 messages acknowledged before the failover");
        var atFailover = acknowledged.Count;
        await redis.FailoverAsync();
        Volatile.Write(ref failedOver, true);
        await WaitUntilAsync(() => Volatile.Read(ref acknowledgedAfterFailover) >= 100, TimeSpan.FromSeconds(30), "100 messages acknowledged after the failover");
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        Assert.NotEqual(firstPrimary, await redis.PrimaryPortAsync());

        var ids = acknowledged.ToHashSet();
        // Usually seconds. Up to Hangfire's first retry (~30 s) plus a margin when a delivery job
        // enqueued in the instant of the switch lost its data with the old primary (Hangfire's own
        // writes are not WAITed; seen in CI): the mail is stored, its job is retried.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(75);
        while (Delivered().Count(ids.Contains) < ids.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var delivered = Delivered();
        var missing = ids.Where(id => !delivered.Contains(id)).ToList();
        output.WriteLine($"{ids.Count} acknowledged ({atFailover} before the failover), {refusals} answer(s) 503 and retried, {missing.Count} not delivered.");
        if (missing.Count > 0)
        {
            // Stored but not sent (delivery stalled), or gone (lost in the failover)?
            using var client = app.Client();
            var states = new List<string>();
            foreach (var id in missing.Take(5))
            {
                using var response = await client.GetAsync($"/messages/{id}");
                states.Add($"{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Fail($"{missing.Count} acknowledged message(s) never arrived:\n{string.Join("\n", states)}\n{app.Output}");
        }

        HashSet<string> Delivered() =>
            world.Mx1.Messages
                .Where(m => m.RcptTos.Any(r => r.Contains(run, StringComparison.Ordinal)))
                .Select(m => m.Parse().MessageId!.Split('@')[0])
                .ToHashSet();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
