namespace SendApi.Core.Webhooks;

/// <summary>
/// Events waiting to become webhook deliveries. The message stores write to it in the same atomic
/// step that appends an event to a message's timeline, and only for accounts that have an
/// endpoint. Reading hands an event to one consumer; it stays pending until acknowledged, and one
/// left pending too long (its consumer died) can be claimed by another: at least once.
/// </summary>
public interface IWebhookOutbox
{
    /// <summary>Up to <paramref name="max"/> events no consumer has been given yet.</summary>
    Task<IReadOnlyList<WebhookEvent>> ReadAsync(string consumer, int max, CancellationToken cancellationToken);

    /// <summary>Takes over up to <paramref name="max"/> events that have been pending for at least <paramref name="minIdle"/>.</summary>
    Task<IReadOnlyList<WebhookEvent>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int max, CancellationToken cancellationToken);

    /// <summary>Done with these events: they leave the outbox.</summary>
    Task AcknowledgeAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>Returns when new events may have arrived, or after <paramref name="timeout"/>.</summary>
    Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
