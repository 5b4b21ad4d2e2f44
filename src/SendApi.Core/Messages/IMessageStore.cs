namespace SendApi.Core.Messages;

/// <summary>A message ready to be accepted: its envelope, its MIME bytes, and the client's idempotency key.</summary>
public sealed record NewMessage(MessageEnvelope Envelope, ReadOnlyMemory<byte> Mime, string? IdempotencyKey);

/// <summary>What accepting returned: the id, and whether an earlier request with the same idempotency key already created it.</summary>
public sealed record AcceptResult(string Id, bool Replayed);

/// <summary>
/// Where accepted messages live. Accepting is one atomic step: once it returns, the message, its
/// "queued" event and its place in the delivery queue are durable together (in Redis mode), so an
/// acknowledged message can never be lost between the store and the queue.
/// </summary>
public interface IMessageStore
{
    Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken);

    Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken);
}
