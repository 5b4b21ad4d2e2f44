namespace SendApi.Core.Accounts;

/// <summary>
/// An API key's record. The secret itself is never stored, only its SHA-256 hash: keys are long
/// random strings, so a fast hash is enough and lookups stay one round trip.
/// </summary>
/// <param name="AccountId">Messages, webhooks and suppressions belong to the account, not the key.</param>
/// <param name="IsAdmin">Admin keys manage keys and reach the operator dashboard.</param>
public sealed record ApiKey(string Id, string Name, string AccountId, bool IsAdmin, DateTimeOffset CreatedAt)
{
    /// <summary>
    /// One of <see cref="ApiKeyScopes"/>; null on a key stored before scopes existed, which keeps
    /// the rights it had: every key could do everything on its account (<see cref="EffectiveScope"/>).
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>The secret's first characters (<see cref="ApiKeySecrets.PrefixOf"/>), so a listing tells keys apart; null on keys stored before it was kept.</summary>
    public string? Prefix { get; init; }

    /// <summary>The From domains the key may send as (normalized, <see cref="Domains.DomainNames"/>); null or empty: any.</summary>
    public IReadOnlyList<string>? Domains { get; init; }

    /// <summary>The key's mail is captured, never sent (as in Delivery:Mode=capture), and says <c>sandbox: true</c>.</summary>
    public bool Sandbox { get; init; }

    /// <summary>Requests (and SMTP messages) per rate-limit window; null: the configured default.</summary>
    public int? RateLimit { get; init; }

    /// <summary>When the key was last used, to the minute; filled in by listings, not stored with the record.</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    public string EffectiveScope => Scope ?? ApiKeyScopes.Full;
}

/// <summary>
/// What a key may do on its account. Admin rights (managing keys, the operator pages) are apart:
/// an admin key has the <see cref="Full"/> scope and the admin role.
/// </summary>
public static class ApiKeyScopes
{
    /// <summary>Everything on the account: send, read, and manage webhooks, domains, suppressions.</summary>
    public const string Full = "full";

    /// <summary>Send, and read the messages this key sent (<c>GET /messages/{id}</c>); nothing else.</summary>
    public const string Send = "send";

    /// <summary>Read everything on the account (every GET); change nothing, send nothing.</summary>
    public const string Read = "read";

    public static IReadOnlyList<string> All { get; } = [Full, Send, Read];

    public static bool IsValid(string? scope) => scope is Full or Send or Read;

    public static bool MaySend(string scope) => scope is Full or Send;
}

public interface IApiKeyStore
{
    Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the key with this id.</summary>
    Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken);

    /// <summary>Every key, with <see cref="ApiKey.LastUsedAt"/> as last noted.</summary>
    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Records when keys were last used, in one step for all of them. Called by a background
    /// writer at most once a minute per key, never on a request's path; a time earlier than the
    /// one stored (another instance noted a later use) may overwrite it, which is harmless at
    /// this precision.
    /// </summary>
    Task NoteUsedAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken);
}

/// <summary>
/// Marks a key store that lives only as long as the process (embedded mode), where generating a
/// throw-away admin key at start is safe and convenient.
/// </summary>
public interface IGeneratesBootstrapKey;
