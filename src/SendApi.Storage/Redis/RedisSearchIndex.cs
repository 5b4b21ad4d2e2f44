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

    /// <summary>The envelope sender in lower case: the from filter checks it on each candidate (senders are few per account, so an index would rarely narrow a search).</summary>
    public const string From = "fr";

    /// <summary>
    /// The id of the API key that sent the message, when one did: a <c>send</c>-scoped key's search
    /// checks it on each candidate, as the from filter checks <see cref="From"/>. A message accepted
    /// before this field existed has its key in the envelope only: the search reads it there.
    /// </summary>
    public const string SentWith = "ky";

    public static readonly long LifetimeSeconds = (long)MessageSearchLimits.IndexLifetime.TotalSeconds;

    /// <summary>Entries below this are trimmed when a key is written.</summary>
    public static string Horizon(DateTimeOffset now) => SearchEntries.TimeBound(now - MessageSearchLimits.IndexLifetime);

    /// <summary>The keys a new message is indexed under: its account, status, each recipient and each tag.</summary>
    public static IEnumerable<RedisKey> KeysOf(RedisKeys keys, MessageEnvelope envelope, string status)
    {
        var account = envelope.AccountId;
        yield return keys.Search(account);
        yield return keys.SearchByStatus(account, status);
        foreach (var address in envelope.Recipients.Select(r => SearchEntries.Address(r.Address)).Distinct(StringComparer.Ordinal))
        {
            yield return keys.SearchByRecipient(account, address);
        }

        foreach (var tag in envelope.Tags.Distinct(StringComparer.Ordinal))
        {
            yield return keys.SearchByTag(account, tag);
        }
    }

    /// <summary>The hash fields a new message gets, as HSET takes them, in this order (the accept script reads the values at fixed places; <see cref="SentWith"/>, present only with a key, comes last).</summary>
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
        args.Add(From);
        args.Add(SearchEntries.Address(envelope.Sender));
        if (envelope.KeyId is { } keyId)
        {
            args.Add(SentWith);
            args.Add(keyId);
        }
    }

    // The overall status for each set of recipient statuses present, as a sum of one bit per status:
    // MessageStatus.Of depends only on which statuses are present, so this is that rule. It is a
    // string of one letter per sum (and a table of the few letters) rather than a table of every
    // sum, because a script builds its tables anew on every call.
    private static readonly RecipientStatus[] Statuses = Enum.GetValues<RecipientStatus>();

    private static readonly string[] MessageStatuses =
    [
        MessageStatus.Queued, MessageStatus.Sending, MessageStatus.Deferred, MessageStatus.Delivered,
        MessageStatus.PartiallyDelivered, MessageStatus.Bounced, MessageStatus.Failed, MessageStatus.Suppressed,
        MessageStatus.Canceled,
    ];

    private static string StatusLetters()
    {
        var letters = new System.Text.StringBuilder();
        for (var mask = 1; mask < 1 << Statuses.Length; mask++)
        {
            var present = Statuses.Where((_, bit) => (mask & (1 << bit)) != 0)
                .Select(s => new RecipientState(s, 0, null, null, DateTimeOffset.UnixEpoch)).ToList();
            var index = Array.IndexOf(MessageStatuses, MessageStatus.Of(present));
            letters.Append(index >= 0 ? (char)('a' + index) : throw new InvalidOperationException($"MessageStatus.Of gave a status the search does not know: {MessageStatus.Of(present)}."));
        }

        return letters.ToString();
    }

    /// <summary>
    /// <c>search_add(key, entry, horizon, ttl)</c>: indexes an entry and renews the key's lifetime;
    /// one write in 16 (those whose id ends in 0, a random digit) also trims what is past the
    /// horizon, so that trimming costs a sixteenth and lags a little. <c>search_fields(key)</c> (or <c>search_fields_of</c> the values at hand): what the other
    /// functions need of the message in hash <c>key</c>, in one read: account, entry, indexed status, recipient count n, tags (a list),
    /// creation time in ms (entry, status, n and created are false before search) and, since every
    /// message has a first recipient, that recipient's status s0 (so that a one-recipient message's
    /// statuses need no read of their own).
    /// <c>search_status_of(m, statuses)</c>: the overall status of the recipient statuses
    /// (statuses[i + 1] for recipient i), nil when none is known. <c>search_move(m, new, prefix, horizon, ttl)</c>:
    /// moves the entry from the index of m's status to that of <c>new</c> and returns true when
    /// the status changed (the caller writes the hash's <see cref="Status"/> field).
    /// <c>search_restatus(key, m, prefix, horizon, ttl)</c>: after recipient states changed, moves
    /// the message's entry to the index of its new overall status (m from search_fields).
    /// </summary>
    public static readonly string Functions = $$"""
        local search_status_letters = {{Lua.String(StatusLetters())}}
        local function search_add(key, entry, horizon, ttl)
          redis.call('ZADD', key, 0, entry)
          if string.byte(entry, -1) == {{Lua.Number('0')}} then
            redis.call('ZREMRANGEBYLEX', key, '-', '(' .. horizon)
          end
          redis.call('EXPIRE', key, ttl)
        end
        local function search_fields_of(account, entry, status, n, tags)
          local m = { account = account, entry = entry, status = status, n = tonumber(n), tags = {} }
          if tags then
            for tag in string.gmatch(tags, '[^,]+') do m.tags[#m.tags + 1] = tag end
          end
          m.created = entry and tonumber(string.sub(entry, 1, 12), 16)
          return m
        end
        local function search_fields(key)
          local f = redis.call('HMGET', key, {{Lua.String(RedisMessageFields.Account)}}, {{Lua.String(Entry)}}, {{Lua.String(Status)}}, {{Lua.String(RecipientCount)}}, {{Lua.String(Tags)}}, {{Lua.String(RedisMessageFields.Status(0))}}, {{Lua.String(RedisMessageFields.Recorded)}})
          local m = search_fields_of(f[1] or message_account(key), f[2], f[3], f[4], f[5])
          m.s0 = f[6]
          m.recorded = f[7]
          return m
        end
        local function search_status_of(m, statuses)
          local bits = {{"{ " + string.Join(", ", Statuses.Select((s, bit) => $"[{Lua.String(StorageJson.EnumName(s))}] = {Lua.Number(1L << bit)}")) + " }"}}
          local mask = 0
          for i = 1, m.n do
            local s = statuses[i]
            if s and bits[s] then
              mask = mask + bits[s]
              bits[s] = nil
            end
          end
          if mask == 0 then return nil end
          local names = {{"{ " + string.Join(", ", MessageStatuses.Select(Lua.String)) + " }"}}
          return names[string.byte(search_status_letters, mask) - {{Lua.Number('a' - 1)}}]
        end
        local function search_move(m, new, prefix, horizon, ttl)
          if not new or new == m.status then return false end
          local base = prefix .. 'account:' .. m.account .. {{Lua.String(RedisKeys.SearchSuffix + RedisKeys.SearchStatusInfix)}}
          if m.status then redis.call('ZREM', base .. m.status, m.entry) end
          search_add(base .. new, m.entry, horizon, ttl)
          m.status = new
          return true
        end
        local function search_restatus(key, m, prefix, horizon, ttl)
          if not m.entry or not m.n or not m.account then return end
          local fields = {}
          for i = 0, m.n - 1 do fields[#fields + 1] = {{Lua.String(RedisMessageFields.Status(0)[..^1])}} .. i end
          if search_move(m, search_status_of(m, redis.call('HMGET', key, unpack(fields))), prefix, horizon, ttl) then
            redis.call('HSET', key, {{Lua.String(Status)}}, m.status)
          end
        end
        """;
}
