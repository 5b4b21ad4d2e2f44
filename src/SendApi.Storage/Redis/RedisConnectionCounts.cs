using SendApi.Core.Abuse;
using SendApi.Core.Instances;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// One sorted set per client address of its open connections (<c>{instance}|{connection}</c> → when
/// opened). A connection counts only while its instance's heartbeat (<see cref="RedisKeys.Instances"/>)
/// is alive: the open script drops the members of lapsed instances as it counts, so a dead
/// instance's connections never hold a place, and nothing waits for a clean-up. The set expires a
/// day after the address's last connection, so an address that never comes back leaves nothing.
/// </summary>
internal sealed class RedisConnectionCounts(IConnectionMultiplexer redis, RedisKeys keys, ProcessInstance instance) : ISharedConnectionCounts
{
    private static readonly long IdleExpiryMs = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    /// <summary>
    /// KEYS: the address's connections, instances. ARGV: cap, member, this instance's id, expiry ms.
    /// This instance counts as alive before its first heartbeat. Returns 1 when counted, 0 at the cap.
    /// </summary>
    private const string Open = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local alive = {}
        local count = 0
        for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local bar = string.find(member, '|', 1, true)
          local owner = bar and string.sub(member, 1, bar - 1) or ''
          if alive[owner] == nil then
            local until_ms = redis.call('ZSCORE', KEYS[2], owner)
            alive[owner] = owner == ARGV[3] or (until_ms ~= false and tonumber(until_ms) > now)
          end
          if alive[owner] then count = count + 1 else redis.call('ZREM', KEYS[1], member) end
        end
        if count >= tonumber(ARGV[1]) then return 0 end
        redis.call('ZADD', KEYS[1], now, ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<bool?> TryOpenAsync(string address, string connection, int cap, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(Open, [keys.SmtpConnections(address), keys.Instances], [cap, instance.Token(connection), instance.Id, IdleExpiryMs]) == 1;

    public void Close(string address, string connection)
    {
        try
        {
            _ = Db.SortedSetRemoveAsync(keys.SmtpConnections(address), instance.Token(connection), CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // The store is away: the member stops counting when this instance's heartbeat lapses, or
            // at the latest when the address's set expires.
        }
    }
}
