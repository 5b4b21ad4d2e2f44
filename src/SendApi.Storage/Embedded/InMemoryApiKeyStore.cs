using SendApi.Core.Accounts;

namespace SendApi.Storage.Embedded;

internal sealed class InMemoryApiKeyStore : IApiKeyStore, IGeneratesBootstrapKey
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ApiKey> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hashById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastUsed = new(StringComparer.Ordinal);

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
            _byHash[hash] = key with { LastUsedAt = null };
            _hashById[key.Id] = hash;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ApiKey>>(
                [.. _byHash.Values.OrderBy(k => k.CreatedAt).Select(k => _lastUsed.TryGetValue(k.Id, out var used) ? k with { LastUsedAt = used } : k)]);
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
            _lastUsed.Remove(id);
            return Task.FromResult(true);
        }
    }

    public Task NoteUsedAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var (id, at) in lastUsed)
            {
                // A key revoked since its use stays revoked: no orphan entry.
                if (_hashById.ContainsKey(id))
                {
                    _lastUsed[id] = at;
                }
            }
        }

        return Task.CompletedTask;
    }
}
