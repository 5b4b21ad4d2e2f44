using System.Globalization;
using SendApi.Core.Instances;
using SendApi.Core.Throttling;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The domain throttle in Redis: one script call per transaction. Time is Redis's own
/// (<c>TIME</c>), so instances with skewed clocks still share one schedule.
/// </summary>
internal sealed class RedisDomainThrottle(IConnectionMultiplexer redis, RedisKeys keys, ProcessInstance instance) : IDomainThrottle
{
    // The rate schedule's key outlives its last reserved slot by this much, then an idle domain's key goes.
    private static readonly TimeSpan ScheduleIdleLifetime = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an instance's set of slot keys outlives its last heartbeat or new key: the
    /// heartbeat renews it (<see cref="RedisInstanceRegistry"/>), so a slot costs no renewal of its own.
    /// </summary>
    public static readonly TimeSpan SlotKeysLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// KEYS: slots (sorted set token → expiry ms), tat (next free rate slot, ms), backoff factor, this
    /// instance's set of slot keys (so that a take-over finds its slots, see RedisInstanceRegistry).
    /// ARGV: token, max connections, slot lease ms, interval ms (0 = no rate limit), max wait ms.
    /// Returns {1, wait ms} when granted, {0, retry-after ms} when not.
    /// </summary>
    private static readonly string Acquire = $$"""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local factor = tonumber(redis.call('GET', KEYS[3]) or '1')
        local maxConn = math.max(1, math.floor(tonumber(ARGV[2]) * factor))
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) >= maxConn then return {0, {{Lua.Number((long)ThrottleRules.SlotsFullRetry.TotalMilliseconds)}} } end
        local wait = 0
        local interval = tonumber(ARGV[4])
        if interval > 0 then
          interval = interval / factor
          local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
          if tat < now then tat = now end
          wait = tat - now
          if wait > tonumber(ARGV[5]) then return {0, math.ceil(wait - tonumber(ARGV[5]))} end
          redis.call('SET', KEYS[2], tostring(tat + interval), 'PX', math.ceil(wait + interval + {{Lua.Number((long)ScheduleIdleLifetime.TotalMilliseconds)}}))
        end
        redis.call('ZADD', KEYS[1], now + wait + tonumber(ARGV[3]), ARGV[1])
        if redis.call('SADD', KEYS[4], KEYS[1]) == 1 then
          redis.call('PEXPIRE', KEYS[4], {{Lua.Number((long)SlotKeysLifetime.TotalMilliseconds)}})
        end
        local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
        redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(last[2]) - now)))
        return {1, math.ceil(wait)}
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<ThrottleDecision> TryAcquireAsync(string domain, int maxConnections, double messagesPerSecond, TimeSpan maxWait, TimeSpan slotLease, CancellationToken cancellationToken)
    {
        // Prefixed with this instance, so that its slots are freed when its heartbeat lapses, not after the lease.
        var token = instance.Token(Guid.NewGuid().ToString("N"));
        var interval = messagesPerSecond > 0 ? 1000.0 / messagesPerSecond : 0;
        RedisResult[] result;
        try
        {
            result = (RedisResult[])(await Db.EvaluateScriptAsync(
                Acquire,
                [keys.ThrottleSlots(domain), keys.ThrottleSchedule(domain), keys.ThrottleBackoff(domain), keys.InstanceSlotKeys(instance.Id)],
                [token, maxConnections, (long)slotLease.TotalMilliseconds, interval.ToString(CultureInfo.InvariantCulture), (long)maxWait.TotalMilliseconds]))!;
        }
        catch (RedisException)
        {
            // The slot may have been granted and only the reply lost (Redis went down, or timed
            // out): nobody would use or release it, and for a domain allowed one or two
            // connections its mail would wait out the slot's lease. Released without waiting; the
            // client library sends it once it reconnects.
            _ = Db.SortedSetRemoveAsync(keys.ThrottleSlots(domain), token, CommandFlags.FireAndForget);
            throw;
        }

        var granted = (int)result[0] == 1;
        var wait = TimeSpan.FromMilliseconds((long)result[1]);
        return new ThrottleDecision(granted, wait, granted ? token : null);
    }

    public Task ReleaseAsync(string domain, string token, CancellationToken cancellationToken) =>
        Db.SortedSetRemoveAsync(keys.ThrottleSlots(domain), token);

    public Task SetBackoffAsync(string domain, double factor, TimeSpan duration, CancellationToken cancellationToken) =>
        Db.StringSetAsync(keys.ThrottleBackoff(domain), factor.ToString(CultureInfo.InvariantCulture), duration);
}
