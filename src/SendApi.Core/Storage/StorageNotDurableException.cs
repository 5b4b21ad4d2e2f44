namespace SendApi.Core.Storage;

/// <summary>
/// The write was made but is not known to be as durable as <c>Storage__Durability</c> promises (too
/// few replicas acknowledged it in time, the primary changed under it, the server does not fsync).
/// Answered like an outage (HTTP 503 + Retry-After, SMTP 451 4.3.0): the client retries. The
/// message may still exist and be delivered, so a retry can deliver it twice (at-least-once);
/// with an Idempotency-Key the retry is answered for the first message instead.
/// </summary>
public sealed class StorageNotDurableException(string message) : Exception(message);
