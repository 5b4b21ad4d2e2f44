using SendApi.Core.Capture;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Captured mail in Redis: <c>capture:{id}</c> the record's JSON and <c>capture:{id}:raw</c> the
/// bytes (apart, so listing never loads them); <c>captures</c>, every id, and
/// <c>account:{account}:captures</c>, an account's ids, both sorted sets with every score 0:
/// ids are time-ordered, so ZRANGE BYLEX REV pages newest first from a cursor;
/// <c>captures:owner</c>, id → account; and <c>captures:bytes</c>, the octets of every capture's
/// bytes. Writes and deletes are scripts, so the bounds and the indexes never disagree, whichever
/// instance writes.
/// </summary>
internal sealed class RedisCaptureStore(IConnectionMultiplexer redis, RedisKeys keys) : ICaptureStore
{
    // Drops one captured id everywhere and takes its bytes off the total (deleted at zero, so that
    // nothing is left once everything is). ARGV[p] / ARGV[p+1] / ARGV[p+2] / ARGV[p+3]: capture key
    // prefix, account index prefix, its suffix, the bytes counter.
    private const string DropFunction = $$"""
        local function drop(id, all, owners, p)
          local owner = redis.call('HGET', owners, id)
          local raw = ARGV[p] .. id .. '{{RedisKeys.CaptureRawSuffix}}'
          local size = redis.call('STRLEN', raw)
          redis.call('DEL', ARGV[p] .. id, raw)
          redis.call('ZREM', all, id)
          redis.call('HDEL', owners, id)
          if owner then
            redis.call('ZREM', ARGV[p + 1] .. owner .. ARGV[p + 2], id)
          end
          if size > 0 and redis.call('DECRBY', ARGV[p + 3], size) <= 0 then
            redis.call('DEL', ARGV[p + 3])
          end
        end
        """;

    /// <summary>
    /// Store, then drop the oldest while either bound is passed, keeping the newest. KEYS: record,
    /// raw, all, owners, account index, bytes. ARGV: id, account, JSON, raw, max messages, max
    /// bytes, then the key parts of <see cref="DropFunction"/>.
    /// </summary>
    private const string StoreScript = DropFunction + """

        if redis.call('EXISTS', KEYS[2]) == 1 then drop(ARGV[1], KEYS[3], KEYS[4], 7) end
        redis.call('SET', KEYS[1], ARGV[3])
        redis.call('SET', KEYS[2], ARGV[4])
        redis.call('ZADD', KEYS[3], 0, ARGV[1])
        redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[5], 0, ARGV[1])
        redis.call('INCRBY', KEYS[6], #ARGV[4])
        local count = redis.call('ZCARD', KEYS[3])
        while count > 1 and (count > tonumber(ARGV[5]) or tonumber(redis.call('GET', KEYS[6]) or '0') > tonumber(ARGV[6])) do
          drop(redis.call('ZRANGE', KEYS[3], 0, 0)[1], KEYS[3], KEYS[4], 7)
          count = count - 1
        end
        return 1
        """;

    /// <summary>KEYS: all, owners. ARGV: id, account ('' = any), then the key parts. Returns 1 when deleted.</summary>
    private const string DeleteScript = DropFunction + """

        local owner = redis.call('HGET', KEYS[2], ARGV[1])
        if not owner or (ARGV[2] ~= '' and owner ~= ARGV[2]) then return 0 end
        drop(ARGV[1], KEYS[1], KEYS[2], 3)
        return 1
        """;

    /// <summary>KEYS: all, owners, the index to clear (all, or an account's). ARGV: the key parts. Returns the count.</summary>
    private const string ClearScript = DropFunction + """

        local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
        for _, id in ipairs(ids) do
          drop(id, KEYS[1], KEYS[2], 1)
        end
        return #ids
        """;

    private IDatabase Db => redis.GetDatabase();

    private RedisValue[] KeyParts => [keys.CapturePrefix, keys.CaptureIndexPrefix, RedisKeys.CaptureIndexSuffix, keys.CaptureBytes];

    public async Task StoreAsync(CapturedMessage message, ReadOnlyMemory<byte> raw, int maxMessages, long maxBytes, CancellationToken cancellationToken) =>
        await Db.ScriptEvaluateAsync(
            StoreScript,
            [keys.Capture(message.Id), keys.CaptureRaw(message.Id), keys.Captures, keys.CaptureOwners, keys.CaptureIndex(message.AccountId), keys.CaptureBytes],
            [message.Id, message.AccountId, StorageJson.Serialize(message), raw, maxMessages, maxBytes, .. KeyParts]);

    public async Task<CapturedMessage?> FindAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id))
        {
            return null;
        }

        var json = await Db.StringGetAsync(keys.Capture(id), flags: RedisReads.Primary);
        return json.IsNull ? null : Visible(scope, StorageJson.Deserialize<CapturedMessage>(json!));
    }

    public async Task<byte[]?> GetRawAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id))
        {
            return null;
        }

        // Both in one round trip; the record says whose it is, the bytes alone would not.
        var values = await Db.StringGetAsync([keys.Capture(id), keys.CaptureRaw(id)], flags: RedisReads.Primary);
        return values[0].IsNull || values[1].IsNull || Visible(scope, StorageJson.Deserialize<CapturedMessage>(values[0]!)) is null
            ? null
            : (byte[])values[1]!;
    }

    public async Task<CapturePage> ListAsync(CaptureScope scope, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var index = scope.AccountId is null ? keys.Captures : keys.CaptureIndex(scope.AccountId);
        var (items, next) = await RedisNewestFirstPages.ReadAsync<CapturedMessage>(Db, index, cursor, limit, id => keys.Capture(id));
        return new CapturePage(items, next);
    }

    public async Task<bool> DeleteAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        if (!CaptureIds.IsValid(id))
        {
            return false;
        }

        var deleted = await Db.ScriptEvaluateAsync(DeleteScript, [keys.Captures, keys.CaptureOwners], [id, scope.AccountId ?? "", .. KeyParts]);
        return (long)deleted == 1;
    }

    public async Task<int> ClearAsync(CaptureScope scope, CancellationToken cancellationToken)
    {
        var index = scope.AccountId is null ? keys.Captures : keys.CaptureIndex(scope.AccountId);
        var count = await Db.ScriptEvaluateAsync(ClearScript, [keys.Captures, keys.CaptureOwners, index], KeyParts);
        return (int)(long)count;
    }

    private static CapturedMessage? Visible(CaptureScope scope, CapturedMessage message) =>
        scope.Includes(message.AccountId) ? message : null;
}
