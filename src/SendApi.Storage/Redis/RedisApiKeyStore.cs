using SendApi.Core.Accounts;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

internal sealed class RedisApiKeyStore(IConnectionMultiplexer redis, RedisKeys keys) : IApiKeyStore
{
    /// <summary>
    /// KEYS: apikeys:byid, apikeys:lastused. ARGV: pairs of key id and unix ms. Only keys that
    /// still exist are noted, so a key revoked between its use and the note leaves nothing behind.
    /// </summary>
    private const string NoteUsed = """
        for i = 1, #ARGV, 2 do
          if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
        end
        return 0
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(keys.ApiKeysByHash, ApiKeySecrets.Hash(secret), flags: RedisReads.Primary);
        return json.IsNull ? null : StorageJson.Deserialize<ApiKey>(json!);
    }

    public async Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken)
    {
        var hash = ApiKeySecrets.Hash(secret);
        var previousHash = await Db.HashGetAsync(keys.ApiKeysById, key.Id, flags: RedisReads.Primary);
        var transaction = Db.CreateTransaction();
        if (!previousHash.IsNull && previousHash != hash)
        {
            // The bootstrap admin key keeps its id when its secret is changed in configuration.
            _ = transaction.HashDeleteAsync(keys.ApiKeysByHash, previousHash);
        }

        _ = transaction.HashSetAsync(keys.ApiKeysByHash, hash, StorageJson.Serialize(key with { LastUsedAt = null }));
        _ = transaction.HashSetAsync(keys.ApiKeysById, key.Id, hash);
        await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        var db = Db;
        var all = db.HashValuesAsync(keys.ApiKeysByHash, flags: RedisReads.Primary);
        var used = db.HashGetAllAsync(keys.ApiKeysLastUsed, flags: RedisReads.Primary);
        var lastUsed = (await used).ToDictionary(e => (string)e.Name!, e => DateTimeOffset.FromUnixTimeMilliseconds((long)e.Value), StringComparer.Ordinal);
        return [.. (await all).Select(v => StorageJson.Deserialize<ApiKey>(v!))
            .Select(k => lastUsed.TryGetValue(k.Id, out var at) ? k with { LastUsedAt = at } : k)
            .OrderBy(k => k.CreatedAt)];
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var hash = await Db.HashGetAsync(keys.ApiKeysById, id, flags: RedisReads.Primary);
        if (hash.IsNull)
        {
            return false;
        }

        var transaction = Db.CreateTransaction();
        _ = transaction.HashDeleteAsync(keys.ApiKeysByHash, hash);
        _ = transaction.HashDeleteAsync(keys.ApiKeysById, id);
        _ = transaction.HashDeleteAsync(keys.ApiKeysLastUsed, id);
        return await transaction.ExecuteAsync();
    }

    public async Task NoteUsedAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }

        await Db.ScriptEvaluateAsync(NoteUsed, [keys.ApiKeysById, keys.ApiKeysLastUsed],
            [.. lastUsed.SelectMany(e => new RedisValue[] { e.Key, e.Value.ToUnixTimeMilliseconds() })]);
    }
}
