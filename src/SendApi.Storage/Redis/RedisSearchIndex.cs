using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The message search indexes, written by the message scripts in the same atomic step as the
/// message. Each is a sorted set of <see cref="SearchEntries"/> (all scores 0, so ZRANGE BYLEX
/// orders them by creation time, then id): per account <c>account:{a}:search</c>, and per
/// recipient, sender, tag and current status beside it. The message's hash keeps its entry
/// (<see cref="Entry"/>), the status it is indexed under (<see cref="Status"/>), its recipient
/// count and tags, so that a later step can move it to its new status and count its events
/// without the envelope's JSON. A message without <see cref="Entry"/> predates search: it is in no
/// index, and stays out of them.
/// Entries are trimmed when their key is written, once older than <see cref="MessageSearchLimits.IndexLifetime"/>,
/// and a key expires that long after its last write; an entry whose message expired before that
/// is removed by the first search that meets it.
/// </summary>
internal static class RedisSearchIndex
{
    public const string Entry = "ix";

    public const string Status = "st";

    public const string RecipientCount = "n";

    public const string Tags = "tg";

    public static readonly long LifetimeSeconds = (long)MessageSearchLimits.IndexLifetime.TotalSeconds;

    /// <summary>Entries below this are trimmed when a key is written.</summary>
    public static string Horizon(DateTimeOffset now) => SearchEntries.TimeBound(now - MessageSearchLimits.IndexLifetime);

    /// <summary>The keys a new message is indexed under: its account, status, sender, each recipient and each tag.</summary>
    public static IEnumerable<RedisKey> KeysOf(RedisKeys keys, MessageEnvelope envelope, string status)
    {
        var account = envelope.AccountId;
        yield return keys.Search(account);
        yield return keys.SearchByStatus(account, status);
        yield return keys.SearchByFrom(account, SearchEntries.Address(envelope.Sender));
        foreach (var address in envelope.Recipients.Select(r => SearchEntries.Address(r.Address)).Distinct(StringComparer.Ordinal))
        {
            yield return keys.SearchByRecipient(account, address);
        }

        foreach (var tag in envelope.Tags.Distinct(StringComparer.Ordinal))
        {
            yield return keys.SearchByTag(account, tag);
        }
    }

    /// <summary>The hash fields a new message gets, as HSET takes them.</summary>
    public static void AddFields(List<RedisValue> args, MessageEnvelope envelope, string status)
    {
        args.Add(Entry);
        args.Add(SearchEntries.Of(envelope.CreatedAt, envelope.Id));
        args.Add(Status);
        args.Add(status);
        args.Add(RecipientCount);
        args.Add(envelope.Recipients.Count);
        args.Add(Tags);
        args.Add(string.Join(',', envelope.Tags.Distinct(StringComparer.Ordinal)));
    }

    // The overall status for each set of recipient statuses present, as a sum of one bit per status:
    // MessageStatus.Of depends only on which statuses are present, so this table is that rule.
    private static readonly RecipientStatus[] Statuses = Enum.GetValues<RecipientStatus>();

    private static string StatusTable()
    {
        var entries = new List<string>();
        for (var mask = 1; mask < 1 << Statuses.Length; mask++)
        {
            var present = Statuses.Where((_, bit) => (mask & (1 << bit)) != 0)
                .Select(s => new RecipientState(s, 0, null, null, DateTimeOffset.UnixEpoch)).ToList();
            entries.Add($"[{Lua.Number(mask)}] = {Lua.String(MessageStatus.Of(present))}");
        }

        return "{ " + string.Join(", ", entries) + " }";
    }

    /// <summary>
    /// <c>search_add(key, entry, horizon, ttl)</c>: indexes an entry, trims the key and renews its
    /// lifetime. <c>search_fields(key)</c>: the account, entry, tags (a list) and creation time in
    /// ms (false before search) of the message in hash <c>key</c>. <c>search_restatus(key, prefix,
    /// horizon, ttl)</c>: after recipient states changed, moves the message's entry to the index of
    /// its new overall status.
    /// </summary>
    public static readonly string Functions = $$"""
        local search_status_of = {{StatusTable()}}
        local search_status_bit = {{"{ " + string.Join(", ", Statuses.Select((s, bit) => $"[{Lua.String(StorageJson.EnumName(s))}] = {Lua.Number(1L << bit)}")) + " }"}}
        local function search_add(key, entry, horizon, ttl)
          redis.call('ZADD', key, 0, entry)
          redis.call('ZREMRANGEBYLEX', key, '-', '(' .. horizon)
          redis.call('EXPIRE', key, ttl)
        end
        local function search_fields(key)
          local f = redis.call('HMGET', key, {{Lua.String(Entry)}}, {{Lua.String(Tags)}})
          local account = message_account(key)
          local tags = {}
          if f[2] then
            for tag in string.gmatch(f[2], '[^,]+') do tags[#tags + 1] = tag end
          end
          local created = f[1] and tonumber(string.sub(f[1], 1, 12), 16)
          return account, f[1], tags, created
        end
        local function search_restatus(key, prefix, horizon, ttl)
          local f = redis.call('HMGET', key, {{Lua.String(Entry)}}, {{Lua.String(Status)}}, {{Lua.String(RecipientCount)}}, {{Lua.String(RedisMessageFields.Account)}})
          local entry, old, n, account = f[1], f[2], tonumber(f[3]), f[4]
          if not entry or not n or not account then return end
          local fields = {}
          for i = 0, n - 1 do fields[#fields + 1] = {{Lua.String(RedisMessageFields.Status(0)[..^1])}} .. i end
          local mask, seen = 0, {}
          for _, s in ipairs(redis.call('HMGET', key, unpack(fields))) do
            if s and not seen[s] then
              seen[s] = true
              mask = mask + (search_status_bit[s] or 0)
            end
          end
          local new = search_status_of[mask]
          if not new or new == old then return end
          local base = prefix .. 'account:' .. account .. {{Lua.String(RedisKeys.SearchSuffix + RedisKeys.SearchStatusInfix)}}
          if old then redis.call('ZREM', base .. old, entry) end
          search_add(base .. new, entry, horizon, ttl)
          redis.call('HSET', key, {{Lua.String(Status)}}, new)
        end
        """;
}
