using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The counters behind <c>GET /stats</c>, written by the message scripts in the same atomic step
/// as the events they count: per account and hour a hash of totals <c>stats:{account}:{hour}</c>,
/// one per tag (<c>:t</c>) and one per recipient domain (<c>:d</c>), each expiring
/// <see cref="StatsLimits.Retention"/> after its hour ends. C# passes what each event counts as
/// ARGV groups of <see cref="ValuesPerIncrement"/> (type, hour, domain, unix ms); the script adds the
/// message's tags and, for a delivery, its latency from the creation time in the search entry.
/// </summary>
internal static class RedisStatsCounters
{
    public const int ValuesPerIncrement = 4;

    public static void Add(List<RedisValue> args, IEnumerable<StatsIncrement> increments)
    {
        foreach (var increment in increments)
        {
            args.Add(increment.Type);
            args.Add(StatsEvents.HourOf(increment.At));
            args.Add(increment.Domain);
            args.Add(increment.At.ToUnixTimeMilliseconds());
        }
    }

    public static readonly long RetentionSeconds = (long)StatsLimits.Retention.TotalSeconds;

    /// <summary>
    /// <c>count_events(prefix, m, first, last, ttl)</c>: counts the increments in ARGV[first..last]
    /// for the message m (from <c>search_fields</c>); a message from before search and stats has no
    /// creation time there, so its deliveries have no latency, and no tags.
    /// </summary>
    public static readonly string Functions = $$"""
        local function stats_bucket(ms)
          local stats_bounds = { {{string.Join(", ", LatencyHistogram.UpperBoundsMs.Select(Lua.Number))}} }
          for i = 1, #stats_bounds - 1 do
            if ms <= stats_bounds[i] then return i - 1 end
          end
          return #stats_bounds - 1
        end
        local function stats_add(key, name, suffixes, expires)
          local sep = name == '' and '' or (name .. {{Lua.String(StatsFields.Separator)}})
          if redis.call('HINCRBY', key, sep .. suffixes[1], 1) == 1 then
            -- A new field: past the cap a new name is counted as the others, and a new key gets its
            -- expiry (the same for every field of the hour, so setting it once is enough).
            if name ~= '' and redis.call('HLEN', key) > {{Lua.Number(StatsLimits.MaxFieldsPerHour)}} then
              redis.call('HDEL', key, sep .. suffixes[1])
              sep = {{Lua.String(StatsLimits.Other + StatsFields.Separator)}}
              redis.call('HINCRBY', key, sep .. suffixes[1], 1)
            end
            redis.call('EXPIREAT', key, expires)
          end
          for i = 2, #suffixes do
            redis.call('HINCRBY', key, sep .. suffixes[i], 1)
          end
        end
        local function count_events(prefix, m, first, last, ttl)
          local account, tags, created_ms = m.account, m.tags, m.created
          if not account then return end
          for i = first, last, {{Lua.Number(ValuesPerIncrement)}} do
            local hour = tonumber(ARGV[i + 1])
            local suffixes = { ARGV[i] }
            if ARGV[i] == {{Lua.String(MessageEventTypes.Delivered)}} and created_ms then
              suffixes[2] = {{Lua.String(StatsFields.Latency(0)[..^1])}} .. stats_bucket(tonumber(ARGV[i + 3]) - created_ms)
            end
            local key = prefix .. 'stats:' .. account .. ':' .. ARGV[i + 1]
            local expires = (hour + 1) * 3600 + ttl
            stats_add(key, '', suffixes, expires)
            for _, tag in ipairs(tags) do
              stats_add(key .. {{Lua.String(RedisKeys.StatsTagSuffix)}}, tag, suffixes, expires)
            end
            if ARGV[i + 2] ~= '' then
              stats_add(key .. {{Lua.String(RedisKeys.StatsDomainSuffix)}}, ARGV[i + 2], suffixes, expires)
            end
          end
        end
        """;
}
