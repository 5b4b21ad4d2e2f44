using SendApi.Core.Abuse;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryAuthFailuresTests : SharedAuthFailuresContract
{
    protected override bool Shared => false;

    protected override ISharedAuthFailures CreateFailures() => new InMemoryAuthFailures();
}

public sealed class RedisAuthFailuresTests(RedisServerFixture redis) : SharedAuthFailuresContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test class instance: the instances a test creates share it, as one deployment.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override bool Shared => true;

    protected override ISharedAuthFailures CreateFailures() => new RedisAuthFailures(redis.Connection, _keys);

    [Fact]
    public async Task A_failure_older_than_the_window_no_longer_counts_and_the_set_expires_with_the_window()
    {
        var failures = CreateFailures();
        var address = NewAddress();
        var window = TimeSpan.FromMinutes(15);
        var db = redis.Connection.GetDatabase();
        // A failure recorded just over a window ago, on Redis's clock (the one the scripts read).
        var now = await db.ExecuteAsync("TIME");
        var parts = (long[])now!;
        var nowMs = (parts[0] * 1000) + (parts[1] / 1000);
        await db.SortedSetAddAsync(_keys.AuthFailures(address), "old", nowMs - (long)window.TotalMilliseconds - 1000);

        Assert.Equal(0, await failures.CountAsync(address, window, default));
        Assert.Equal(1, await failures.RecordAsync(address, window, 5, default));
        Assert.Equal(1, await db.SortedSetLengthAsync(_keys.AuthFailures(address)));
        var ttl = await db.KeyTimeToLiveAsync(_keys.AuthFailures(address));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, window - TimeSpan.FromMinutes(1), window);
    }
}
