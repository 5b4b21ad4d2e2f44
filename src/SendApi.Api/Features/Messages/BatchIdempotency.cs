namespace SendApi.Api.Features.Messages;

/// <summary>How one Idempotency-Key covers every message of a batch.</summary>
internal static class BatchIdempotency
{
    /// <summary>
    /// The key the store deduplicates message <paramref name="index"/> of a batch by. A client key
    /// never contains a space (<see cref="MessageRules.IsValidIdempotencyKey"/>), so no key a
    /// client sends can name a batch's message.
    /// </summary>
    public static string ItemKey(string batchKey, int index) => $"{batchKey} [{index}]";
}
