using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// Redis goes down in the instant between a delivery job's claim and its load of the message (a
/// real redis-server killed from inside the load, so the moment is exact rather than raced for).
/// Nothing was sent, so the message is handed back as soon as Redis answers again, not left to wait
/// out its claim's lease (<c>Delivery__ClaimLease</c>, 2 minutes).
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

        // Once: nothing was sent before the outage, so the hand-back cannot double it.
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

    private static object Message(string to) => new
    {
        from = "app@acme.test",
        to = new[] { to },
        subject = "claimed at an outage",
        text = "x",
    };

    /// <summary>Kills redis-server as the delivery job loads its next message, and starts it again a moment later.</summary>
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

        /// <summary>From now on every load fails as a record that cannot be read does, with Redis up.</summary>
        public void Poison() => Volatile.Write(ref _armed, 2);

        public int PoisonedLoads => Volatile.Read(ref _poisoned);

        public void AddTo(IServiceCollection services) =>
            LoadHookedDeliveryQueue.Register(services, async (inner, id, cancellationToken) =>
            {
                await BeforeLoadAsync();
                return await inner.LoadAsync(id, cancellationToken);
            });

        private async Task BeforeLoadAsync()
        {
            if (Volatile.Read(ref _armed) == 2)
            {
                Interlocked.Increment(ref _poisoned);
                _happened.TrySetResult();
                throw new InvalidDataException("A stored record that cannot be read (test).");
            }

            if (Interlocked.Exchange(ref _armed, 0) == 0)
            {
                return;
            }

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
