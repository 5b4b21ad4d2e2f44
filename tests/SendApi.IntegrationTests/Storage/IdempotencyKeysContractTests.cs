using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryIdempotencyKeysTests : IdempotencyKeysContract
{
    private static readonly TimeSpan LastSeconds = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    protected override IIdempotencyKeys CreateKeys() => new InMemoryIdempotencyKeys(_time);

    protected override Task LetAllButTheLastSecondsOfTheWindowPassAsync(string accountId, string key)
    {
        _time.Advance(MessageLifetimes.IdempotencyWindow - LastSeconds);
        return Task.CompletedTask;
    }

    protected override Task LetTheWindowEndAsync(string accountId, string key)
    {
        _time.Advance(LastSeconds);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Redis ends a binding by its time to live, on its own clock: the window passing is the binding's
/// TTL checked to be the window, then brought to its last seconds and to its end.
/// </summary>
public sealed class RedisIdempotencyKeysTests(RedisServerFixture redis) : IdempotencyKeysContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's keys to itself on the shared server.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override IIdempotencyKeys CreateKeys() => new RedisIdempotencyKeys(redis.Connection, _keys);

    protected override async Task LetAllButTheLastSecondsOfTheWindowPassAsync(string accountId, string key)
    {
        var db = redis.Connection.GetDatabase();
        var binding = _keys.IdempotentRequest(accountId, key);
        var ttl = await db.KeyTimeToLiveAsync(binding);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, MessageLifetimes.IdempotencyWindow - TimeSpan.FromMinutes(1), MessageLifetimes.IdempotencyWindow);
        Assert.True(await db.KeyExpireAsync(binding, TimeSpan.FromSeconds(30)));
    }

    protected override async Task LetTheWindowEndAsync(string accountId, string key)
    {
        // A non-positive expiry removes the key now, as its TTL running out would.
        Assert.True(await redis.Connection.GetDatabase().KeyExpireAsync(_keys.IdempotentRequest(accountId, key), TimeSpan.Zero));
    }
}
