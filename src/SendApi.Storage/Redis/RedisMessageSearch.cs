using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Searches the indexes of <see cref="RedisSearchIndex"/> in one script call per page: the
/// smallest of the filters' sets drives the scan, newest first, every other set is one ZSCORE per
/// candidate, and the sender and the sending key are checked on the message. Work is bounded by <see cref="MessageSearchLimits.ScanBudget"/> candidates.
/// </summary>
internal sealed class RedisMessageSearch(IConnectionMultiplexer redis, RedisKeys keys) : IMessageSearch
{
    /// <summary>
    /// KEYS: the filters' sets (at least one). ARGV: upper bound (exclusive, '(' + entry, or '+'),
    /// lower bound ('[' + entry, or '-'), limit, budget, message key prefix, sender ('' for any) and
    /// API key id ('' for any), both checked on the message itself. Returns the next
    /// cursor ('' when the range is exhausted), then entry, envelope and status of each match.
    /// </summary>
    private static readonly string SearchScript = $$"""
        -- A message accepted before its key had a field of its own has it in the envelope only (or
        -- not at all, from before keys were recorded): read there, as GET /messages/{id} does.
        local function envelope_key(env)
          local ok, decoded = pcall(cjson.decode, env)
          local key = ok and type(decoded) == 'table' and decoded[{{Lua.String(StorageJson.PropertyName(nameof(MessageEnvelope.KeyId)))}}]
          if type(key) == 'string' then return key end
          return false
        end
        local driver, smallest = 1, redis.call('ZCARD', KEYS[1])
        for i = 2, #KEYS do
          local size = redis.call('ZCARD', KEYS[i])
          if size < smallest then driver, smallest = i, size end
        end
        local upper, lower = ARGV[1], ARGV[2]
        local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
        local result, found, examined, last = { '' }, 0, 0, nil
        while examined < budget do
          local batch = redis.call('ZRANGE', KEYS[driver], upper, lower, 'BYLEX', 'REV', 'LIMIT', 0, math.min(budget - examined, 256))
          if #batch == 0 then return result end
          for _, entry in ipairs(batch) do
            examined = examined + 1
            last = entry
            local match = true
            for i = 1, #KEYS do
              if i ~= driver and not redis.call('ZSCORE', KEYS[i], entry) then
                match = false
                break
              end
            end
            if match then
              local f = redis.call('HMGET', ARGV[5] .. string.sub(entry, 13), {{Lua.String(RedisMessageFields.Envelope)}}, {{Lua.String(RedisSearchIndex.Status)}}, {{Lua.String(RedisSearchIndex.From)}}, {{Lua.String(RedisSearchIndex.SentWith)}})
              if not f[1] then
                -- Its message expired before the entry did.
                redis.call('ZREM', KEYS[driver], entry)
              elseif ARGV[6] ~= '' and f[3] ~= ARGV[6] then
                -- Another sender.
              elseif ARGV[7] ~= '' and (f[4] or envelope_key(f[1])) ~= ARGV[7] then
                -- Another key's, or no key recorded.
              elseif found == limit then
                result[1] = result[#result - 2]
                return result
              else
                found = found + 1
                result[#result + 1] = entry
                result[#result + 1] = f[1]
                result[#result + 1] = f[2] or ''
              end
            end
          end
          upper = '(' .. last
        end
        result[1] = last
        return result
        """;

    public async Task<MessagePage> SearchAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var account = query.AccountId;
        var filters = new List<RedisKey>();
        if (query.Recipient is { } recipient)
        {
            filters.Add(keys.SearchByRecipient(account, SearchEntries.Address(recipient)));
        }

        if (query.Tag is { } tag)
        {
            filters.Add(keys.SearchByTag(account, tag));
        }

        if (query.Status is { } status)
        {
            filters.Add(keys.SearchByStatus(account, status));
        }

        if (filters.Count == 0)
        {
            filters.Add(keys.Search(account));
        }

        var upper = Upper(query);
        var lower = query.Since is { } since ? "[" + SearchEntries.TimeBound(since) : "-";
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            SearchScript, [.. filters], [upper, lower, query.Limit, MessageSearchLimits.ScanBudget, keys.Message(""), query.From is { } from ? SearchEntries.Address(from) : "", query.KeyId ?? ""]))!;

        var items = new List<MessageSummary>();
        for (var i = 1; i + 2 < result.Length; i += 3)
        {
            var envelope = StorageJson.Deserialize<MessageEnvelope>((string)result[i + 1]!);
            var current = (string?)result[i + 2];
            items.Add(MessageSummary.Of(envelope, string.IsNullOrEmpty(current) ? MessageStatus.Queued : current));
        }

        var next = (string?)result[0];
        return new MessagePage(items, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>Below the cursor and below <see cref="MessageQuery.Until"/>, whichever is lower.</summary>
    private static string Upper(MessageQuery query)
    {
        string? bound = query.Until is { } until ? SearchEntries.TimeBound(until) : null;
        if (query.Cursor is { } cursor && (bound is null || string.CompareOrdinal(cursor, bound) < 0))
        {
            bound = cursor;
        }

        return bound is null ? "+" : "(" + bound;
    }
}
