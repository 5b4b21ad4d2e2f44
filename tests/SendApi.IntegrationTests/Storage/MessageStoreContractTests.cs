using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryMessageStoreTests : MessageStoreContract
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return (store, store);
    }
}

public sealed class RedisMessageStoreTests(RedisServerFixture redis) : MessageStoreContract, IClassFixture<RedisServerFixture>
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        // A fresh key prefix per test keeps each test's queue to itself on the shared server.
        var store = new RedisMessageStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
        return (store, store);
    }
}
