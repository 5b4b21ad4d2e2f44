namespace SendApi.Core.Capture;

/// <summary>
/// Mail that capture mode kept instead of sending, bounded to the newest N across all accounts and
/// to a total of bytes: storing a message and dropping the oldest beyond either bound is one atomic
/// step, so the bounds hold with several instances writing at once.
/// </summary>
public interface ICaptureStore
{
    /// <summary>
    /// Stores the record and its bytes, then drops the oldest captures while there are more than
    /// <paramref name="maxMessages"/> or their bytes add up to more than <paramref name="maxBytes"/>;
    /// the newest is kept even when it alone is larger.
    /// </summary>
    Task StoreAsync(CapturedMessage message, ReadOnlyMemory<byte> raw, int maxMessages, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Null when unknown, dropped, or outside <paramref name="scope"/>.</summary>
    Task<CapturedMessage?> FindAsync(CaptureScope scope, string id, CancellationToken cancellationToken);

    /// <summary>The exact bytes; null when unknown, dropped, or outside <paramref name="scope"/>.</summary>
    Task<byte[]?> GetRawAsync(CaptureScope scope, string id, CancellationToken cancellationToken);

    /// <summary>Newest first: up to <paramref name="limit"/> captured before the one named by <paramref name="cursor"/> (null: the newest).</summary>
    Task<CapturePage> ListAsync(CaptureScope scope, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>False when unknown, already dropped, or outside <paramref name="scope"/>.</summary>
    Task<bool> DeleteAsync(CaptureScope scope, string id, CancellationToken cancellationToken);

    /// <summary>Deletes everything in <paramref name="scope"/>; returns how many were deleted.</summary>
    Task<int> ClearAsync(CaptureScope scope, CancellationToken cancellationToken);
}

/// <param name="NextCursor">Pass back as the cursor for the next (older) page; null on the last page.</param>
public sealed record CapturePage(IReadOnlyList<CapturedMessage> Items, string? NextCursor);

/// <summary>
/// Whose captured mail a call sees: one account's, or (for an admin) every account's. A class, so
/// that no default value silently means "everyone".
/// </summary>
public sealed record CaptureScope
{
    private CaptureScope(string? accountId) => AccountId = accountId;

    /// <summary>The account, or null for every account.</summary>
    public string? AccountId { get; }

    public static CaptureScope Everyone { get; } = new((string?)null);

    public static CaptureScope Of(string accountId) => new(accountId ?? throw new ArgumentNullException(nameof(accountId)));

    public bool Includes(string accountId) => AccountId is null || AccountId == accountId;
}
