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

    Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken);
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
