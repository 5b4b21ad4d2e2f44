using System.Net;
using SendApi.Core.Abuse;
using SendApi.Core.Instances;
using SendApi.IntegrationTests.Harness;
using SendApi.Smtp;
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

    [Fact]
    public async Task A_connection_counted_by_redis_whose_reply_was_lost_is_still_uncounted_when_it_closes()
    {
        // Redis counted the connection, then the reply never came (it went down, or timed out): the
        // limiter lets the connection in on its local count, and must close the shared count too.
        var instance = new ProcessInstance();
        var counts = CreateCounts(instance);
        var limiter = new ConnectionLimiter(
            new SmtpServerSettings { Hostname = "sendapi.test", MaxConnectionsPerIp = 1 },
            new ReplyLost(counts));
        var address = IPAddress.Parse("203.0.113.7");

        var lease = await limiter.TryAcquireAsync(address, "lost-reply", default);
        Assert.NotNull(lease);
        lease.Dispose();

        // The close is sent without waiting; the next connection finds the place free once it landed.
        var free = false;
        for (var i = 0; i < 50 && !free; i++)
        {
            await Task.Delay(20);
            free = await counts.TryOpenAsync(address.ToString(), "next", 1, default) == true;
        }

        Assert.True(free, "The connection whose count's reply was lost still held the address's only place after it closed.");
    }

    /// <summary>Counts in the store, then throws as a lost reply does.</summary>
    private sealed class ReplyLost(ISharedConnectionCounts inner) : ISharedConnectionCounts
    {
        public async Task<bool?> TryOpenAsync(string address, string connection, int cap, CancellationToken cancellationToken)
        {
            await inner.TryOpenAsync(address, connection, cap, cancellationToken);
            throw new TimeoutException("The reply never came (test).");
        }

        public void Close(string address, string connection) => inner.Close(address, connection);
    }
}
