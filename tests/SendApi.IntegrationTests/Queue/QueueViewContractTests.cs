using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Queue;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Queue;

public sealed class InMemoryQueueViewTests : QueueViewContract
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue, IQueueView View) CreateStore()
    {
        var time = new FakeTimeProvider(T0);
        var store = new InMemoryMessageStore(time);
        _store = store;
        return (store, store, new InMemoryQueueView(store, new InMemoryDomainThrottle(time)));
    }

    private InMemoryMessageStore? _store;

    protected override (IMessageSearch Search, IMessageStats Stats) Readers() => (_store!, _store!);
}

public sealed class RedisQueueViewTests(RedisServerFixture redis) : QueueViewContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's queue to itself on the shared server.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override (IMessageStore Messages, IDeliveryQueue Queue, IQueueView View) CreateStore()
    {
        var store = new RedisMessageStore(redis.Connection, _keys, new FakeTimeProvider(T0));
        return (store, store, new RedisQueueView(redis.Connection, _keys, new FakeTimeProvider(T0)));
    }

    protected override (IMessageSearch Search, IMessageStats Stats) Readers() =>
        (new RedisMessageSearch(redis.Connection, _keys), new RedisMessageStatsReader(redis.Connection, _keys));
}
