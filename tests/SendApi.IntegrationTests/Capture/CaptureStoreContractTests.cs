using SendApi.Core.Capture;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Capture;

public sealed class InMemoryCaptureStoreTests : CaptureStoreContract
{
    protected override ICaptureStore Create() => new InMemoryCaptureStore();
}

public sealed class RedisCaptureStoreTests(RedisServerFixture redis) : CaptureStoreContract, IClassFixture<RedisServerFixture>
{
    private RedisKeys _keys = null!;

    // A fresh key prefix per test keeps each test's captures to itself on the shared server.
    protected override ICaptureStore Create() => new RedisCaptureStore(redis.Connection, _keys = new RedisKeys($"t{Guid.NewGuid():N}:"));

    [Fact]
    public async Task The_bytes_are_stored_once_apart_from_the_record_and_nothing_is_left_after_clearing()
    {
        var store = Create();
        var raw = new byte[64 * 1024];
        Random.Shared.NextBytes(raw);
        var captured = Captured("acct", T0);
        await store.StoreAsync(captured, raw, 1000, long.MaxValue, default);

        var db = redis.Connection.GetDatabase();
        var keys = await KeysAsync();
        Assert.Equal((long)raw.Length, await db.StringLengthAsync(_keys.CaptureRaw(captured.Id)));
        Assert.True(await db.StringLengthAsync(_keys.Capture(captured.Id)) < 1024, "the record holds no copy of the bytes");
        Assert.Equal(6, keys.Count);

        await store.ClearAsync(CaptureScope.Everyone, default);
        Assert.Empty(await KeysAsync());
    }

    private async Task<List<string>> KeysAsync()
    {
        var found = new List<string>();
        await foreach (var key in redis.Connection.GetServers()[0].KeysAsync(pattern: _keys.Prefix + "*"))
        {
            found.Add(key!);
        }

        return found;
    }
}
