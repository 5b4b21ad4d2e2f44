namespace SendApi.Core.Suppressions;

/// <summary>
/// Each account's suppression list. Addresses are compared case-insensitively: implementations
/// normalize with <see cref="SuppressionAddresses.Normalize"/> on the way in.
/// </summary>
public interface ISuppressionStore
{
    /// <summary>
    /// Idempotent: when the address is already on the list the existing entry is kept as it was
    /// (first reason and time win) and returned with <see cref="SuppressionAddResult.Added"/> false.
    /// Keeping the first entry means an automatic bounce never rewrites an operator's note, and a
    /// burst of bounces for one address leaves one stable record of when it started.
    /// </summary>
    Task<SuppressionAddResult> AddAsync(string account, Suppression suppression, CancellationToken cancellationToken);

    Task<Suppression?> GetAsync(string account, string address, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> entries after <paramref name="cursor"/> (null: from the start), in address order.</summary>
    Task<SuppressionPage> ListAsync(string account, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>False when the address was not on the list.</summary>
    Task<bool> RemoveAsync(string account, string address, CancellationToken cancellationToken);

    /// <summary>
    /// The entries among <paramref name="addresses"/> that are suppressed, keyed by normalized
    /// address, in one round trip: the send path calls it for every message.
    /// </summary>
    Task<IReadOnlyDictionary<string, Suppression>> FindAsync(string account, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken);
}
