using SendApi.Core.Abuse;
using SendApi.Core.Instances;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryConnectionCountsTests : SharedConnectionCountsContract
{
    protected override bool Shared => false;

    protected override ISharedConnectionCounts CreateCounts(ProcessInstance instance) => new InMemoryConnectionCounts();

    protected override IInstanceRegistry CreateRegistry() => new InMemoryInstanceRegistry();
}

public sealed class RedisConnectionCountsTests(RedisServerFixture redis) : SharedConnectionCountsContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test: the instances a test creates share it, as one deployment.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override bool Shared => true;

    protected override ISharedConnectionCounts CreateCounts(ProcessInstance instance) => new RedisConnectionCounts(redis.Connection, _keys, instance);

    protected override IInstanceRegistry CreateRegistry() => new RedisInstanceRegistry(redis.Connection, _keys);

    [Fact]
    public async Task An_address_s_set_expires_a_day_after_its_last_connection()
    {
        var address = "203.0.113.9";
        await CreateCounts(new ProcessInstance()).TryOpenAsync(address, "c1", 3, default);

        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(_keys.SmtpConnections(address));

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
    }
}
