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

/// <summary>
/// Inbound ids: <c>in_</c> and 32 hex digits, the arrival time in milliseconds (12), a sequence
/// within the millisecond (4) and randomness (16), so that ids sort by arrival even within one
/// millisecond in one process (UUIDv7's random bits would not), which listing pages rely on.
/// </summary>
public static class InboundIds
{
    public const string Prefix = "in_";

    private const int HexLength = 32;

    // The last (milliseconds << 16 | sequence) handed out by this process.
    private static long s_last;

    public static string New(DateTimeOffset receivedAt)
    {
        var ms = Math.Max(0, receivedAt.ToUnixTimeMilliseconds());
        long next;
        while (true)
        {
            var last = Volatile.Read(ref s_last);
            var lastMs = last >> 16;
            if (ms < lastMs)
            {
                // A clock behind the last id (another clock, a test's): ordered by time alone.
                next = (ms << 16) | (long)Random.Shared.Next(0, 1 << 16);
                break;
            }

            next = ms > lastMs ? ms << 16 : last + 1;
            if (Interlocked.CompareExchange(ref s_last, next, last) == last)
            {
                break;
            }
        }

        var random = (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 32);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Prefix}{next:x16}{random:x16}");
    }

    /// <summary>Ids come from URLs: anything else must not reach a store key.</summary>
    public static bool IsValid(string id) =>
        id.Length == Prefix.Length + HexLength
        && id.StartsWith(Prefix, StringComparison.Ordinal)
        && !id.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef");

    /// <summary>
    /// A string that sorts below every id created at or after <paramref name="at"/>: an id
    /// begins with its creation time in milliseconds as 12 hex digits.
    /// </summary>
    public static string LowestAt(DateTimeOffset at) =>
        Prefix + Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("x12", System.Globalization.CultureInfo.InvariantCulture);
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
