using Microsoft.Extensions.Time.Testing;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryMessageSearchTests : MessageSearchContract
{
    protected override Stores CreateStores()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return new Stores(store, store, store, store);
    }
}

public sealed class RedisMessageSearchTests(RedisServerFixture redis) : MessageSearchContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's indexes and counters to itself on the shared server.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override Stores CreateStores()
    {
        var store = new RedisMessageStore(redis.Connection, _keys, new FakeTimeProvider(T0));
        return new Stores(store, store, new RedisMessageSearch(redis.Connection, _keys), new RedisMessageStatsReader(redis.Connection, _keys));
    }
}
