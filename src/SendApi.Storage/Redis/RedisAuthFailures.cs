using SendApi.Core.Abuse;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// One sorted set per client address (a failure → when, on Redis's clock), trimmed to the window
/// and to the count that matters, expiring with the window.
/// </summary>
internal sealed class RedisAuthFailures(IConnectionMultiplexer redis, RedisKeys keys) : ISharedAuthFailures
{
    /// <summary>KEYS: the address's failures. ARGV: window ms.</summary>
    private const string Count = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        return redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')
        """;

    /// <summary>KEYS: the address's failures. ARGV: window ms, cap, a unique member.</summary>
    private const string Record = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
        redis.call('ZADD', KEYS[1], now, ARGV[3])
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return redis.call('ZCARD', KEYS[1])
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<int?> CountAsync(string address, TimeSpan window, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(Count, [keys.AuthFailures(address)], [(long)window.TotalMilliseconds]);

    public async Task<int?> RecordAsync(string address, TimeSpan window, int cap, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(Record, [keys.AuthFailures(address)], [(long)window.TotalMilliseconds, cap, Guid.NewGuid().ToString("N")]);
}
