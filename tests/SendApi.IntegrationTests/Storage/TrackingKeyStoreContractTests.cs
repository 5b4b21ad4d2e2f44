using SendApi.Core.Tracking;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryTrackingKeyStoreTests : TrackingKeyStoreContract
{
    protected override bool KeyOutlivesTheProcess => false;

    protected override ITrackingKeyStore CreateStore() => new InMemoryTrackingKeyStore();

    protected override ITrackingKeyStore Restart() => new InMemoryTrackingKeyStore();
}

public sealed class RedisTrackingKeyStoreTests(RedisServerFixture redis) : TrackingKeyStoreContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test: each test is a deployment of its own.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override bool KeyOutlivesTheProcess => true;

    protected override ITrackingKeyStore CreateStore() => new RedisTrackingKeyStore(redis.Connection, _keys);

    protected override ITrackingKeyStore Restart() => new RedisTrackingKeyStore(redis.Connection, _keys);

    [Fact]
    public async Task The_key_never_expires_so_links_in_delivered_mail_keep_working()
    {
        await CreateStore().GetOrAddAsync(new byte[32], default);

        var db = redis.Connection.GetDatabase();
        Assert.True(await db.KeyExistsAsync(_keys.Tracking));
        Assert.Null(await db.KeyTimeToLiveAsync(_keys.Tracking));
    }
}
