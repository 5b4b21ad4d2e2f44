using SendApi.Core.Accounts;

namespace SendApi.Storage.Embedded;

internal sealed class InMemoryApiKeyStore : IApiKeyStore, IGeneratesBootstrapKey
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ApiKey> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hashById = new(StringComparer.Ordinal);

    public Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_byHash.GetValueOrDefault(ApiKeySecrets.Hash(secret)));
        }
    }

    public Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_hashById.Remove(key.Id, out var previous))
            {
                _byHash.Remove(previous);
            }

            var hash = ApiKeySecrets.Hash(secret);
            _byHash[hash] = key;
            _hashById[key.Id] = hash;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ApiKey>>([.. _byHash.Values.OrderBy(k => k.CreatedAt)]);
        }
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_hashById.Remove(id, out var hash))
            {
                return Task.FromResult(false);
            }

            _byHash.Remove(hash);
            return Task.FromResult(true);
        }
    }
}
