using SendApi.Core.Suppressions;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Suppression lists in Redis: per account a hash <c>suppressions:{account}</c> (address → entry
/// JSON), which answers the send path's check with one HMGET, and a sorted set
/// <c>suppressions:{account}:order</c> with every score 0, so that ZRANGEBYLEX pages through the
/// addresses in order from a cursor without the duplicates and gaps HSCAN allows.
/// </summary>
internal sealed class RedisSuppressionStore(IConnectionMultiplexer redis, RedisKeys keys) : ISuppressionStore
{
    /// <summary>Add unless present, in both keys. KEYS: hash, order. ARGV: address, JSON. Returns the existing JSON, or nil when added.</summary>
    private const string AddScript = """
        if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
          return redis.call('HGET', KEYS[1], ARGV[1])
        end
        redis.call('ZADD', KEYS[2], 0, ARGV[1])
        return false
        """;

    /// <summary>KEYS: hash, order. ARGV: address. Returns 1 when it was there.</summary>
    private const string RemoveScript = """
        redis.call('ZREM', KEYS[2], ARGV[1])
        return redis.call('HDEL', KEYS[1], ARGV[1])
        """;

    /// <summary>One page in one round trip. KEYS: hash, order. ARGV: lex start, limit. Returns the entries' JSON in order.</summary>
    private const string PageScript = """
        local addresses = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], '+', 'LIMIT', 0, ARGV[2])
        if #addresses == 0 then return {} end
        return redis.call('HMGET', KEYS[1], unpack(addresses))
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<SuppressionAddResult> AddAsync(string account, Suppression suppression, CancellationToken cancellationToken)
    {
        var entry = suppression with { Address = SuppressionAddresses.Normalize(suppression.Address) };
        var existing = await Db.ScriptEvaluateAsync(AddScript, [Hash(account), Order(account)], [entry.Address, StorageJson.Serialize(entry)]);
        return existing.IsNull
            ? new SuppressionAddResult(entry, Added: true)
            : new SuppressionAddResult(StorageJson.Deserialize<Suppression>((string)existing!), Added: false);
    }

    public async Task<Suppression?> GetAsync(string account, string address, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(Hash(account), SuppressionAddresses.Normalize(address), flags: RedisReads.Primary);
        return json.IsNull ? null : StorageJson.Deserialize<Suppression>(json!);
    }

    public async Task<SuppressionPage> ListAsync(string account, string? cursor, int limit, CancellationToken cancellationToken)
    {
        // "(" makes the start exclusive: the page begins after the cursor's address.
        var start = cursor is null ? "-" : "(" + cursor;
        // One more than asked says whether another page follows.
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(PageScript, [Hash(account), Order(account)], [start, limit + 1]))!;
        var items = result.Take(limit).Where(r => !r.IsNull).Select(r => StorageJson.Deserialize<Suppression>((string)r!)).ToList();
        return new SuppressionPage(items, result.Length > limit && items.Count > 0 ? items[^1].Address : null);
    }

    public async Task<bool> RemoveAsync(string account, string address, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(RemoveScript, [Hash(account), Order(account)], [SuppressionAddresses.Normalize(address)]) == 1;

    public async Task<IReadOnlyDictionary<string, Suppression>> FindAsync(string account, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        var normalized = addresses.Select(SuppressionAddresses.Normalize).Distinct(StringComparer.Ordinal).ToArray();
        if (normalized.Length == 0)
        {
            return new Dictionary<string, Suppression>();
        }

        var values = await Db.HashGetAsync(Hash(account), [.. normalized.Select(a => (RedisValue)a)], flags: RedisReads.Primary);
        var found = new Dictionary<string, Suppression>(StringComparer.Ordinal);
        for (var i = 0; i < normalized.Length; i++)
        {
            if (!values[i].IsNull)
            {
                found[normalized[i]] = StorageJson.Deserialize<Suppression>(values[i]!);
            }
        }

        return found;
    }

    private RedisKey Hash(string account) => $"{keys.Prefix}suppressions:{account}";

    private RedisKey Order(string account) => $"{keys.Prefix}suppressions:{account}:order";
}
