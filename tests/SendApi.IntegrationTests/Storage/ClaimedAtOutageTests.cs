using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// Redis goes down in the instant between a delivery job's claim and its load of the message, or
/// just after carrying out the claim, before its reply reached the job (a real redis-server killed
/// from inside the load or the claim, so the moment is exact rather than raced for). Nothing was
/// sent, so the message is delivered as soon as Redis answers again, not left to wait out its
/// claim's lease (<c>Delivery__ClaimLease</c>, 2 minutes).
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ClaimedAtOutageTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);

    // Well under the 2-minute lease that was the only way back before, with room for a loaded machine.
    private static readonly TimeSpan DeliveredWithin = TimeSpan.FromSeconds(45);

    private RedisServer _redis = null!;
    private SendApiApp _app = null!;
    private OutageAtLoad _outage = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _outage = new OutageAtLoad(_redis, Outage);
        _app = new SendApiApp(
            world.Settings(new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString, ["Storage:Timeout"] = "2s" }),
            services: _outage.AddTo);
        // Delivered before a test arms the outage, so that the load it hits is the test's message's.
        var client = _app.Client();
        await client.WaitForStatusAsync(await client.SendAsync(Message($"warm-up-{Guid.NewGuid():N}@example.test")), TimeSpan.FromSeconds(30), "delivered");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Mail_claimed_just_before_redis_goes_down_is_delivered_once_it_is_back_not_after_its_lease()
    {
        var client = _app.Client();
        _outage.Arm();
        var recipient = $"claimed-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(Message(recipient));

        Assert.True(await _outage.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never loaded the message.");
        await _outage.Over.WaitAsync(TimeSpan.FromSeconds(30));
        await AssertDeliveredAfterTheOutageAsync(client, id);

        // Once: nothing was sent before the outage, so the hand-back cannot double it.
        Assert.Single(world.Mx1.Messages, m => m.RcptTos.Contains(recipient));
    }

    [Fact]
    public async Task Mail_whose_claim_reply_was_lost_as_redis_went_down_is_delivered_once_it_is_back_not_after_its_lease()
    {
        // What a CI run met: the claim ran in Redis (and was written to its append-only file), Redis
        // died before the reply reached the job, and the message waited for the lease.
        var client = _app.Client();
        _outage.ArmAtClaim();
        var recipient = $"claim-lost-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(Message(recipient));

        Assert.True(await _outage.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never claimed the message.");
        await _outage.Over.WaitAsync(TimeSpan.FromSeconds(30));
        await AssertDeliveredAfterTheOutageAsync(client, id);
        Assert.Single(world.Mx1.Messages, m => m.RcptTos.Contains(recipient));
    }

    [Fact]
    public async Task An_attempt_recorded_as_redis_went_down_before_its_reply_is_recorded_once_not_twice()
    {
        // Redis carried out the Complete (events, outbox entry, counts) and died before answering;
        // the job retries the recording once it is back. The retry must be recognised.
        var client = _app.Client();
        _outage.ArmAtComplete();
        var recipient = $"recorded-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(Message(recipient));

        Assert.True(await _outage.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never recorded the attempt.");
        await _outage.Over.WaitAsync(TimeSpan.FromSeconds(30));
        await AssertDeliveredAfterTheOutageAsync(client, id);
        // The job's retry comes within its 2 s back-off cap of Redis answering; give it that long to double up.
        await Task.Delay(TimeSpan.FromSeconds(3));

        var message = await client.GetMessageAsync(id);
        Assert.Equal(["queued", "delivered"], message["events"]!.AsArray().Select(e => (string)e!["type"]!));
        Assert.Single(world.Mx1.Messages, m => m.RcptTos.Contains(recipient));
    }

    [Fact]
    public async Task A_message_that_cannot_be_read_while_the_store_is_up_waits_for_its_lease_and_is_not_retried_in_a_loop()
    {
        var client = _app.Client();
        _outage.Poison();
        var id = await client.SendAsync(Message($"poison-{Guid.NewGuid():N}@example.test"));

        Assert.True(await _outage.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never loaded the message.");
        // Handed back at once, it would be claimed and loaded again four times a second.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, _outage.PoisonedLoads);
        Assert.Equal("queued", (string?)(await client.GetMessageAsync(id))["status"]);
    }

    private static async Task AssertDeliveredAfterTheOutageAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow + DeliveredWithin;
        string? status = null;
        while (status != "delivered" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            // 503 while the client library reconnects, for a moment after Redis is back.
            using var response = await client.GetAsync($"/messages/{id}");
            status = response.IsSuccessStatusCode ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"] : null;
        }

        Assert.True(status == "delivered", $"Still {status ?? "unreadable"} {DeliveredWithin.TotalSeconds} s after Redis came back.");
    }

    private static object Message(string to) => new
    {
        from = "app@acme.test",
        to = new[] { to },
        subject = "claimed at an outage",
        text = "x",
    };

    /// <summary>
    /// Kills redis-server as the delivery job loads its next message, or just after a claim that took
    /// one or a recording of an attempt (its reply then lost), and starts it again a moment later.
    /// </summary>
    private sealed class OutageAtLoad(RedisServer redis, TimeSpan outage)
    {
        private int _armed;
        private int _poisoned;
        private readonly TaskCompletionSource _happened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _over = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Redis answers again.</summary>
        public Task Over => _over.Task;

        public Task<bool> Happened => _happened.Task.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void ArmAtClaim() => Volatile.Write(ref _armed, 3);

        public void ArmAtComplete() => Volatile.Write(ref _armed, 4);

        /// <summary>From now on every load fails as a record that cannot be read does, with Redis up.</summary>
        public void Poison() => Volatile.Write(ref _armed, 2);

        public int PoisonedLoads => Volatile.Read(ref _poisoned);

        public void AddTo(IServiceCollection services) =>
            HookedDeliveryQueue.Register(
                services,
                load: async (inner, id, cancellationToken) =>
                {
                    await BeforeLoadAsync();
                    return await inner.LoadAsync(id, cancellationToken);
                },
                claim: async (inner, claim, now, max, leaseUntil, cancellationToken) =>
                {
                    var ids = await inner.ClaimDueAsync(claim, now, max, leaseUntil, cancellationToken);
                    if (ids.Count == 0 || Interlocked.CompareExchange(ref _armed, 0, 3) != 3)
                    {
                        return ids;
                    }

                    // The store carried the claim out; the job hears only what the client library
                    // says of a command on the connection that died (the next one, read here).
                    await StopForAWhileAsync();
                    await inner.NextDueAsync(cancellationToken);
                    throw new InvalidOperationException("Redis answered after it was killed (test).");
                },
                complete: async (complete, id, events) =>
                {
                    await complete();
                    if (events.Count == 0 || Interlocked.CompareExchange(ref _armed, 0, 4) != 4)
                    {
                        return;
                    }

                    // Carried out; the job hears what the client library says of the dead connection
                    // (the same call again, which Redis no longer answers).
                    await StopForAWhileAsync();
                    await complete();
                    throw new InvalidOperationException("Redis answered after it was killed (test).");
                });

        private async Task BeforeLoadAsync()
        {
            if (Volatile.Read(ref _armed) == 2)
            {
                Interlocked.Increment(ref _poisoned);
                _happened.TrySetResult();
                throw new InvalidDataException("A stored record that cannot be read (test).");
            }

            if (Interlocked.CompareExchange(ref _armed, 0, 1) != 1)
            {
                return;
            }

            await StopForAWhileAsync();
        }

        private async Task StopForAWhileAsync()
        {
            await redis.StopAsync();
            _happened.TrySetResult();
            _ = Task.Run(async () =>
            {
                await Task.Delay(outage);
                await redis.StartAgainAsync();
                _over.TrySetResult();
            });
        }
    }
}
