namespace SendApi.Core.Inbound;

/// <summary>
/// Received mail, per account. Storing is one atomic step: the parsed record, the original MIME,
/// the account's index and (when the account has a webhook endpoint) the <c>inbound.received</c>
/// outbox entry are written together, so an acknowledged message is never half stored and never
/// silently missing from the webhooks. Records expire after the retention passed in.
/// </summary>
public interface IInboundStore
{
    Task StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>Null when unknown, expired, or another account's.</summary>
    Task<InboundEmail?> FindAsync(string accountId, string id, CancellationToken cancellationToken);

    /// <summary>The original MIME as received; null when unknown, expired, or another account's.</summary>
    Task<byte[]?> GetRawAsync(string accountId, string id, CancellationToken cancellationToken);

    /// <summary>Newest first: up to <paramref name="limit"/> received before the one named by <paramref name="cursor"/> (null: the newest).</summary>
    Task<InboundPage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <param name="NextCursor">Pass back as the cursor for the next (older) page; null on the last page.</param>
public sealed record InboundPage(IReadOnlyList<InboundEmail> Items, string? NextCursor);

/// <summary>Inbound ids: <c>in_</c> and a time-ordered (UUIDv7) hex id, so they sort by arrival.</summary>
public static class InboundIds
{
    public const string Prefix = "in_";

    private const int HexLength = 32;

    public static string New(DateTimeOffset receivedAt) => Prefix + Guid.CreateVersion7(receivedAt).ToString("N");

    /// <summary>Ids come from URLs: anything else must not reach a store key.</summary>
    public static bool IsValid(string id) =>
        id.Length == Prefix.Length + HexLength
        && id.StartsWith(Prefix, StringComparison.Ordinal)
        && !id.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef");

    /// <summary>
    /// A string that sorts below every id created at or after <paramref name="at"/>: a UUIDv7
    /// begins with its creation time in milliseconds as 12 hex digits.
    /// </summary>
    public static string LowestAt(DateTimeOffset at) =>
        Prefix + Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("x12", System.Globalization.CultureInfo.InvariantCulture);
}
