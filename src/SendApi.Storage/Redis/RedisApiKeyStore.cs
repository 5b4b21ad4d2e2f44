using SendApi.Core.Accounts;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

internal sealed class RedisApiKeyStore(IConnectionMultiplexer redis, RedisKeys keys) : IApiKeyStore
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(keys.ApiKeysByHash, ApiKeySecrets.Hash(secret));
        return json.IsNull ? null : StorageJson.Deserialize<ApiKey>(json!);
    }

    public async Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken)
    {
        var hash = ApiKeySecrets.Hash(secret);
        var previousHash = await Db.HashGetAsync(keys.ApiKeysById, key.Id);
        var transaction = Db.CreateTransaction();
        if (!previousHash.IsNull && previousHash != hash)
        {
            // The bootstrap admin key keeps its id when its secret is changed in configuration.
            _ = transaction.HashDeleteAsync(keys.ApiKeysByHash, previousHash);
        }

        _ = transaction.HashSetAsync(keys.ApiKeysByHash, hash, StorageJson.Serialize(key));
        _ = transaction.HashSetAsync(keys.ApiKeysById, key.Id, hash);
        await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        var all = await Db.HashValuesAsync(keys.ApiKeysByHash);
        return [.. all.Select(v => StorageJson.Deserialize<ApiKey>(v!)).OrderBy(k => k.CreatedAt)];
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var hash = await Db.HashGetAsync(keys.ApiKeysById, id);
        if (hash.IsNull)
        {
            return false;
        }

        var transaction = Db.CreateTransaction();
        _ = transaction.HashDeleteAsync(keys.ApiKeysByHash, hash);
        _ = transaction.HashDeleteAsync(keys.ApiKeysById, id);
        return await transaction.ExecuteAsync();
    }
}
