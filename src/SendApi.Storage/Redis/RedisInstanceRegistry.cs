using SendApi.Core.Instances;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Heartbeats in a sorted set (instance → alive-until, on Redis's own clock, so skewed instance
/// clocks don't matter) and the take-over of lapsed instances in one script: their claims are voided
/// and their messages due now; their domain connection slots, found through the per-instance set
/// of slot keys <see cref="RedisDomainThrottle"/> keeps, are removed.
/// </summary>
internal sealed class RedisInstanceRegistry(IConnectionMultiplexer redis, RedisKeys keys) : IInstanceRegistry
{
    /// <summary>
    /// KEYS: instances, this instance's set of slot keys. ARGV: instance id, timeout ms. The set's
    /// lifetime is renewed here, once per beat, rather than by each slot taken.
    /// </summary>
    private static readonly string Heartbeat = $$"""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
        redis.call('PEXPIRE', KEYS[2], {{Lua.Number((long)RedisDomainThrottle.SlotKeysLifetime.TotalMilliseconds)}})
        return 1
        """;

    /// <summary>
    /// KEYS: instances, claims, due. ARGV: now ms (the delivery queue's clock), the prefix of the
    /// per-instance slot-key sets. Returns {instances, messages, slots}. A claim whose token has no
    /// instance prefix (an older version's) is left to its lease.
    /// </summary>
    private const string TakeOver = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
        if #lapsed == 0 then return {0, 0, 0} end
        local dead = {}
        for _, id in ipairs(lapsed) do dead[id] = true end
        local messages = 0
        local claims = redis.call('HGETALL', KEYS[2])
        for i = 1, #claims, 2 do
          local token = claims[i + 1]
          local bar = string.find(token, '|', 1, true)
          if bar and dead[string.sub(token, 1, bar - 1)] then
            redis.call('HDEL', KEYS[2], claims[i])
            redis.call('ZADD', KEYS[3], 'XX', ARGV[1], claims[i])
            messages = messages + 1
          end
        end
        local slots = 0
        for _, id in ipairs(lapsed) do
          local set = ARGV[2] .. id .. ':slots'
          local prefix = id .. '|'
          for _, key in ipairs(redis.call('SMEMBERS', set)) do
            for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
              if string.sub(member, 1, #prefix) == prefix then
                redis.call('ZREM', key, member)
                slots = slots + 1
              end
            end
          end
          redis.call('DEL', set)
          redis.call('ZREM', KEYS[1], id)
        end
        return {#lapsed, messages, slots}
        """;

    private IDatabase Db => redis.GetDatabase();

    public Task HeartbeatAsync(ProcessInstance instance, TimeSpan timeout, CancellationToken cancellationToken) =>
        Db.ScriptEvaluateAsync(Heartbeat, [keys.Instances, keys.InstanceSlotKeys(instance.Id)], [instance.Id, (long)timeout.TotalMilliseconds]);

    public async Task<TakenOver> TakeOverLapsedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(
            TakeOver, [keys.Instances, keys.Claims, keys.Due], [now.ToUnixTimeMilliseconds(), keys.InstancePrefix]))!;
        return new TakenOver((int)result[0], (int)result[1], (int)result[2]);
    }
}
