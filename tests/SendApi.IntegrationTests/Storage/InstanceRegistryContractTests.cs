using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Instances;
using SendApi.Core.Messages;
using SendApi.Core.Throttling;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryInstanceRegistryTests : InstanceRegistryContract
{
    private readonly FakeTimeProvider _time = new(T0);
    private readonly InMemoryMessageStore _store;
    private readonly InMemoryDomainThrottle _throttle;

    public InMemoryInstanceRegistryTests()
    {
        _store = new InMemoryMessageStore(_time);
        _throttle = new InMemoryDomainThrottle(_time);
    }

    protected override bool Shared => false;

    protected override IInstanceRegistry CreateRegistry() => new InMemoryInstanceRegistry();

    protected override IDeliveryQueue Queue => _store;

    protected override IMessageStore Messages => _store;

    // One process, one throttle: the embedded throttle is the same whoever asks.
    protected override IDomainThrottle CreateThrottle(ProcessInstance instance) => _throttle;
}

public sealed class RedisInstanceRegistryTests(RedisServerFixture redis) : InstanceRegistryContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test: the instances a test creates share it, as one deployment.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");
    private RedisMessageStore? _store;

    protected override bool Shared => true;

    protected override IInstanceRegistry CreateRegistry() => new RedisInstanceRegistry(redis.Connection, _keys);

    protected override IDeliveryQueue Queue => _store ??= new RedisMessageStore(redis.Connection, _keys, new FakeTimeProvider(T0));

    protected override IMessageStore Messages => _store ??= new RedisMessageStore(redis.Connection, _keys, new FakeTimeProvider(T0));

    protected override IDomainThrottle CreateThrottle(ProcessInstance instance) => new RedisDomainThrottle(redis.Connection, _keys, instance);
}
