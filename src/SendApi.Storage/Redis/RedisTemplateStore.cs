using System.Globalization;
using SendApi.Core.Templates;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Templates in Redis, per account: a hash <c>templates:{account}</c> (name → latest version
/// number), a hash <c>templates:{account}:versions</c> ("name/version" → the version's JSON) and a
/// sorted set <c>templates:{account}:order</c> (every score 0) that ZRANGEBYLEX pages by name.
/// Each change is one script, so the version number is assigned where it is written.
/// </summary>
internal sealed class RedisTemplateStore(IConnectionMultiplexer redis, RedisKeys keys) : ITemplateStore
{
    /// <summary>KEYS: latest, versions, order. ARGV: name, JSON. Returns 1 when created, 0 when the name is taken.</summary>
    private const string CreateScript = """
        if redis.call('HSETNX', KEYS[1], ARGV[1], 1) == 0 then return 0 end
        redis.call('HSET', KEYS[2], ARGV[1] .. '/1', ARGV[2])
        redis.call('ZADD', KEYS[3], 0, ARGV[1])
        return 1
        """;

    /// <summary>KEYS: latest, versions. ARGV: name, JSON. Returns the new version, or 0 when there is no such template.</summary>
    private const string AddVersionScript = """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
        local version = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
        redis.call('HSET', KEYS[2], ARGV[1] .. '/' .. version, ARGV[2])
        return version
        """;

    /// <summary>KEYS: latest, versions. ARGV: name, version or '' for the latest. Returns {version, JSON} or nil.</summary>
    private const string FindScript = """
        local version = ARGV[2]
        if version == '' then
          version = redis.call('HGET', KEYS[1], ARGV[1])
          if not version then return false end
        end
        local json = redis.call('HGET', KEYS[2], ARGV[1] .. '/' .. version)
        if not json then return false end
        return {version, json}
        """;

    /// <summary>KEYS: latest, versions, order. ARGV: lex start, count. Returns {version, JSON, version, JSON, ...} in name order.</summary>
    private const string PageScript = """
        local names = redis.call('ZRANGEBYLEX', KEYS[3], ARGV[1], '+', 'LIMIT', 0, ARGV[2])
        local page = {}
        for _, name in ipairs(names) do
          local version = redis.call('HGET', KEYS[1], name)
          if version then
            page[#page + 1] = version
            page[#page + 1] = redis.call('HGET', KEYS[2], name .. '/' .. version)
          end
        end
        return page
        """;

    /// <summary>KEYS: latest, versions, order. ARGV: name. Returns 1 when it was there.</summary>
    private const string DeleteScript = """
        local latest = redis.call('HGET', KEYS[1], ARGV[1])
        if not latest then return 0 end
        for version = 1, tonumber(latest) do
          redis.call('HDEL', KEYS[2], ARGV[1] .. '/' .. version)
        end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<StoredTemplate?> CreateAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(CreateScript, [Latest(accountId), Versions(accountId), Order(accountId)], [template.Name, StorageJson.Serialize(template with { Version = 0 })]) == 1
            ? template with { Version = 1 }
            : null;

    public async Task<StoredTemplate?> AddVersionAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken)
    {
        var version = (int)await Db.ScriptEvaluateAsync(AddVersionScript, [Latest(accountId), Versions(accountId)], [template.Name, StorageJson.Serialize(template with { Version = 0 })]);
        return version == 0 ? null : template with { Version = version };
    }

    public async Task<StoredTemplate?> FindAsync(string accountId, string name, int? version, CancellationToken cancellationToken)
    {
        var found = await Db.ScriptEvaluateAsync(FindScript, [Latest(accountId), Versions(accountId)],
            [name, version?.ToString(CultureInfo.InvariantCulture) ?? ""]);
        return found.IsNull ? null : Read((RedisResult[])found!, 0);
    }

    public async Task<TemplatePage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        // "(" makes the start exclusive; one more than asked says whether another page follows.
        var start = cursor is null ? "-" : "(" + cursor;
        var flat = (RedisResult[])(await Db.ScriptEvaluateAsync(PageScript, [Latest(accountId), Versions(accountId), Order(accountId)], [start, limit + 1]))!;
        var all = Enumerable.Range(0, flat.Length / 2).Select(i => Read(flat, i * 2)).ToList();
        var items = all.Take(limit).ToList();
        return new TemplatePage(items, all.Count > limit ? items[^1].Name : null);
    }

    public async Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(DeleteScript, [Latest(accountId), Versions(accountId), Order(accountId)], [name]) == 1;

    // The version lives in the key, not in the JSON, which is written before the script numbers it.
    private static StoredTemplate Read(RedisResult[] pair, int at) =>
        StorageJson.Deserialize<StoredTemplate>((string)pair[at + 1]!) with { Version = int.Parse((string)pair[at]!, CultureInfo.InvariantCulture) };

    private RedisKey Latest(string accountId) => $"{keys.Prefix}templates:{accountId}";

    private RedisKey Versions(string accountId) => $"{keys.Prefix}templates:{accountId}:versions";

    private RedisKey Order(string accountId) => $"{keys.Prefix}templates:{accountId}:order";
}
