using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Diagnostics;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryQueueGaugeTests : QueueGaugeContract
{
    protected override bool Remote => false;

    protected override (IMessageStore Messages, IDeliveryQueue Queue, IQueueGauge Gauge) CreateStore()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return (store, store, store);
    }
}

public sealed class RedisQueueGaugeTests(RedisServerFixture redis) : QueueGaugeContract, IClassFixture<RedisServerFixture>
{
    protected override bool Remote => true;

    protected override (IMessageStore Messages, IDeliveryQueue Queue, IQueueGauge Gauge) CreateStore()
    {
        // A fresh key prefix per test keeps each test's queue to itself on the shared server.
        var keys = new RedisKeys($"t{Guid.NewGuid():N}:");
        var store = new RedisMessageStore(redis.Connection, keys, new FakeTimeProvider(T0));
        return (store, store, new RedisQueueGauge(redis.Connection, keys));
    }
}
