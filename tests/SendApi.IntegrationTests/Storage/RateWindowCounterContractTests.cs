using SendApi.Core.Accounts;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about rate-limit windows: one count per name and window, starting at 1.</summary>
public abstract class RateWindowCounterContract
{
    protected abstract IRateWindowCounter CreateCounter();

    [Fact]
    public async Task Each_name_counts_on_its_own_and_a_new_window_starts_at_one()
    {
        var counter = CreateCounter();
        var lifetime = TimeSpan.FromMinutes(1);

        Assert.Equal(1, await counter.IncrementAsync("key_a", 100, lifetime, default));
        Assert.Equal(2, await counter.IncrementAsync("key_a", 100, lifetime, default));
        Assert.Equal(1, await counter.IncrementAsync("key_b", 100, lifetime, default));
        Assert.Equal(3, await counter.IncrementAsync("key_a", 100, lifetime, default));
        Assert.Equal(1, await counter.IncrementAsync("key_a", 101, lifetime, default));
    }

    [Fact]
    public async Task Parallel_increments_are_each_counted_once()
    {
        var counter = CreateCounter();

        var counts = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => counter.IncrementAsync("key_p", 7, TimeSpan.FromMinutes(1), default)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), counts.Order());
    }
}

public sealed class InMemoryRateWindowCounterTests : RateWindowCounterContract
{
    protected override IRateWindowCounter CreateCounter() => new InMemoryRateWindowCounter();
}

public sealed class RedisRateWindowCounterTests(RedisServerFixture redis) : RateWindowCounterContract, IClassFixture<RedisServerFixture>
{
    private RedisKeys _keys = null!;

    protected override IRateWindowCounter CreateCounter() => new RedisRateWindowCounter(redis.Connection, _keys = new RedisKeys($"t{Guid.NewGuid():N}:"));

    [Fact]
    public async Task A_window_s_counter_expires_so_idle_keys_take_no_space()
    {
        var counter = CreateCounter();
        await counter.IncrementAsync("key_e", 5, TimeSpan.FromSeconds(90), default);
        await counter.IncrementAsync("key_e", 5, TimeSpan.FromSeconds(90), default);

        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(_keys.RateWindow("key_e", 5));

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(90));
    }
}
