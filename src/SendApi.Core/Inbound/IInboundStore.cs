namespace SendApi.Core.Inbound;

/// <summary>
/// Received mail, per account. Storing is one atomic step: the parsed record, the original MIME,
/// the account's index and (when the account has a webhook endpoint) the <c>inbound.received</c>
/// outbox entry are written together, so an acknowledged message is never half stored and never
/// silently missing from the webhooks. Records expire after the retention passed in.
/// </summary>
public interface IInboundStore
{
    /// <summary>
    /// Stores the mail unless the same <paramref name="fingerprint"/> was stored within
    /// <see cref="InboundDedupe.Window"/>: a sending MTA that was told 451 after part of a
    /// transaction was stored sends it all again, and must not create a second copy.
    /// </summary>
    /// <returns>The id the mail is stored under: <paramref name="email"/>'s, or the earlier copy's.</returns>
    Task<string> StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, string fingerprint, TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>Null when unknown, expired, or another account's.</summary>
    Task<InboundEmail?> FindAsync(string accountId, string id, CancellationToken cancellationToken);

    /// <summary>The original MIME as received; null when unknown, expired, or another account's.</summary>
    Task<byte[]?> GetRawAsync(string accountId, string id, CancellationToken cancellationToken);

    /// <summary>Newest first: up to <paramref name="limit"/> received before the one named by <paramref name="cursor"/> (null: the newest).</summary>
    Task<InboundPage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <param name="NextCursor">Pass back as the cursor for the next (older) page; null on the last page.</param>
public sealed record InboundPage(IReadOnlyList<InboundEmail> Items, string? NextCursor);

/// <summary>Inbound ids: <c>in_</c> and 32 hex digits, ordered by arrival (<see cref="TimeOrderedIds"/>).</summary>
public static class InboundIds
{
    public const string Prefix = "in_";

    public static string New(DateTimeOffset receivedAt) => TimeOrderedIds.New(Prefix, receivedAt);

    /// <summary>Ids come from URLs: anything else must not reach a store key.</summary>
    public static bool IsValid(string id) => TimeOrderedIds.IsValid(Prefix, id);

    /// <summary>A string that sorts below every id received at or after <paramref name="at"/>.</summary>
    public static string LowestAt(DateTimeOffset at) => TimeOrderedIds.LowestAt(Prefix, at);
}

public static class InboundDedupe
{
    /// <summary>How long a retried delivery is recognised: the queue lifetime of common MTAs (Postfix, Exim: 5 days).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(5);

    /// <summary>The same bytes for the same account and envelope recipients.</summary>
    public static string Fingerprint(string accountId, IEnumerable<string> rcptTo, ReadOnlySpan<byte> raw)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(accountId + "\n" + string.Join(",", rcptTo.Select(r => r.ToLowerInvariant()).Order(StringComparer.Ordinal)) + "\n"));
        hash.AppendData(raw);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
