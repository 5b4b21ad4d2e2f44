using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Instances;
using SendApi.Core.Throttling;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryDomainThrottleTests : DomainThrottleContract
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Clock => _time;

    protected override IDomainThrottle CreateThrottle() => new InMemoryDomainThrottle(_time);

    protected override Task LetTimePassAsync(TimeSpan span)
    {
        _time.Advance(span);
        return Task.CompletedTask;
    }
}

/// <summary>Redis reads its own clock (TIME), so time passes for real here, in short steps.</summary>
public sealed class RedisDomainThrottleTests(RedisServerFixture redis) : DomainThrottleContract, IClassFixture<RedisServerFixture>
{
    protected override TimeProvider Clock => TimeProvider.System;

    // A fresh key prefix per test keeps each test's domains to itself on the shared server.
    protected override IDomainThrottle CreateThrottle() => new RedisDomainThrottle(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"), new ProcessInstance());

    protected override Task LetTimePassAsync(TimeSpan span) => Task.Delay(span);

    [Fact]
    public async Task A_slot_granted_whose_reply_was_lost_is_released_rather_than_held_for_its_lease()
    {
        // Redis granted the slot and the reply never came: nobody would use or release the slot,
        // and a domain allowed one connection would wait out the slot's lease (2 minutes by default).
        await using var proxy = ReplyDroppingProxy.Start(redis.Server.Port);
        await using var viaProxy = await ConnectionMultiplexer.ConnectAsync($"{proxy.ConnectionString},protocol=resp2");
        var keys = new RedisKeys($"t{Guid.NewGuid():N}:");
        var instance = new ProcessInstance();
        var throttle = new RedisDomainThrottle(viaProxy, keys, instance);
        var lease = TimeSpan.FromMinutes(2);
        var domain = $"lost-{Guid.NewGuid():N}.test";
        // The script is loaded first, so that the marked call is the script run itself.
        Assert.True((await throttle.TryAcquireAsync("warm-up.test", 1, 0, TimeSpan.Zero, lease, default)).Granted);

        proxy.ArmOnce(domain);
        await Assert.ThrowsAnyAsync<RedisException>(() => throttle.TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, lease, default));
        await proxy.Dropped;

        var direct = new RedisDomainThrottle(redis.Connection, keys, instance);
        var granted = false;
        for (var i = 0; i < 100 && !granted; i++)
        {
            granted = (await direct.TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, lease, default)).Granted;
            if (!granted)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(granted, "The only slot of a one-connection domain was still held after a grant whose reply was lost.");
    }
}
