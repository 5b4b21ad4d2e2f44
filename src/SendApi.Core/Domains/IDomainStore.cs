namespace SendApi.Core.Domains;

/// <summary>
/// Sender domains per account. Two accounts may register the same domain: each gets its own key and
/// selector, and neither sees the other's. Names are passed normalized (<see cref="DomainNames"/>).
/// </summary>
public interface IDomainStore
{
    /// <summary>Adds the domain; false (and nothing changes) when its account already has a domain of that name.</summary>
    Task<bool> AddAsync(SenderDomain domain, CancellationToken cancellationToken);

    Task<SenderDomain?> FindAsync(string accountId, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<SenderDomain>> ListAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Deletes the domain and its last verification.</summary>
    Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Every account's domains, for the periodic re-check. Not for a request path: it reads them all.
    /// </summary>
    Task<IReadOnlyList<SenderDomain>> ListAllAsync(CancellationToken cancellationToken);

    /// <summary>Keeps the outcome of a DNS check, replacing the previous one.</summary>
    Task SaveVerificationAsync(string accountId, string name, DomainVerification verification, CancellationToken cancellationToken);

    /// <summary>
    /// The last check of the account's domain, or null when it was never checked. It may be the
    /// check of an earlier key of that name: compare <see cref="DomainVerification.Selector"/>.
    /// </summary>
    Task<DomainVerification?> FindVerificationAsync(string accountId, string name, CancellationToken cancellationToken);

    /// <summary>The last check of each of the account's domains that has one, by name.</summary>
    Task<IReadOnlyDictionary<string, DomainVerification>> ListVerificationsAsync(string accountId, CancellationToken cancellationToken);
}

/// <summary>
/// Told, in the process that made the change, that an account's domain was added or deleted, so
/// that what it caches about the domain (the DKIM signer's keys) is dropped at once rather than
/// when it expires.
/// </summary>
public interface IDomainChangeListener
{
    void DomainChanged(string accountId, string name);
}
