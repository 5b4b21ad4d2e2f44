using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Instances;
using SendApi.Core.Throttling;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using SendApi.IntegrationTests.Harness;

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
}
