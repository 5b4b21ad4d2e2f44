namespace SendApi.Core.Accounts;

/// <summary>
/// An API key's record. The secret itself is never stored, only its SHA-256 hash: keys are long
/// random strings, so a fast hash is enough and lookups stay one round trip.
/// </summary>
/// <param name="AccountId">Messages, webhooks and suppressions belong to the account, not the key.</param>
/// <param name="IsAdmin">Admin keys manage keys and reach the operator dashboard.</param>
public sealed record ApiKey(string Id, string Name, string AccountId, bool IsAdmin, DateTimeOffset CreatedAt);

public interface IApiKeyStore
{
    Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the key with this id.</summary>
    Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>
/// Marks a key store that lives only as long as the process (embedded mode), where generating a
/// throw-away admin key at start is safe and convenient.
/// </summary>
public interface IGeneratesBootstrapKey;
