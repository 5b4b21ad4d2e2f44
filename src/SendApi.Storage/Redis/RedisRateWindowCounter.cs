using SendApi.Core.Accounts;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Rate-limit windows in Redis, shared by every instance: one script call per counted request,
/// which increments the window's counter and, on its first count, sets its expiry, so a counter
/// never outlives its window (an INCR without the expiry, after a failure between two commands,
/// would count forever).
/// </summary>
internal sealed class RedisRateWindowCounter(IConnectionMultiplexer redis, RedisKeys keys) : IRateWindowCounter
{
    /// <summary>KEYS: the window's counter. ARGV: its lifetime in ms. Returns the new count.</summary>
    private const string Increment = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return count
        """;

    public async Task<long> IncrementAsync(string name, long window, TimeSpan lifetime, CancellationToken cancellationToken) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(
            Increment, [keys.RateWindow(name, window)], [(long)Math.Ceiling(lifetime.TotalMilliseconds)]);
}
