using Microsoft.Extensions.Logging;
using SendApi.Core.Messages;
using SendApi.Core.Queue;

namespace SendApi.Storage.Queue;

/// <summary>
/// Puts the failures and bounces of every recorded attempt (<see cref="IDeliveryQueue.CompleteAsync"/>)
/// and of later evidence (<see cref="IMessageStore.RecordAsync"/>) on the queue view's recent list,
/// after the state change: one extra write only when something failed. The list is for the
/// operator's eyes; the message's own timeline stays the record, so a write that fails here is
/// logged and changes nothing about the mail.
/// </summary>
internal sealed partial class FailureNoting(IQueueView view, ILogger<FailureNoting> logger)
{
    // Event ids 6201-6209 (SendApi.Storage's queue view); next free: 6202.
    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Could not add the failures of message {MessageId} to the queue page's recent list")]
    private static partial void LogNoteFailed(ILogger logger, Exception exception, string messageId);

    public async Task NoteAsync(string id, IReadOnlyList<MessageEvent> events)
    {
        if (!events.Any(QueueRules.IsFailure))
        {
            return;
        }

        try
        {
            await view.NoteFailuresAsync(id, events, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogNoteFailed(logger, ex, id);
        }
    }
}

/// <summary>The delivery queue, with its recorded failures noted for the queue page.</summary>
internal sealed class FailureNotingDeliveryQueue(IDeliveryQueue inner, FailureNoting noting) : IDeliveryQueue
{
    public Task<IReadOnlyList<string>> ClaimDueAsync(string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.ClaimDueAsync(claim, now, max, leaseUntil, cancellationToken);

    public Task<IReadOnlyList<string>> ReclaimAsync(string claim, IReadOnlyCollection<string> held, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.ReclaimAsync(claim, held, leaseUntil, cancellationToken);

    public Task<IReadOnlyList<string>> RenewAsync(string claim, IReadOnlyList<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.RenewAsync(claim, ids, leaseUntil, cancellationToken);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => inner.NextDueAsync(cancellationToken);

    public Task<DeliveryWork?> LoadAsync(string id, CancellationToken cancellationToken) => inner.LoadAsync(id, cancellationToken);

    public Task<ForgetOutcome> ForgetAsync(string claim, string id, DateTimeOffset dueIfFound, CancellationToken cancellationToken) =>
        inner.ForgetAsync(claim, id, dueIfFound, cancellationToken);

    public Task<bool> UpdateRecipientsAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken) =>
        inner.UpdateRecipientsAsync(claim, id, updates, cancellationToken);

    public async Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, string? attempt, CancellationToken cancellationToken)
    {
        await inner.CompleteAsync(claim, id, updates, events, nextDue, attempt, cancellationToken);
        await noting.NoteAsync(id, events);
    }

    public void NoteAccepted(string id, IReadOnlyList<(int Recipient, MessageEvent Delivered)> accepted) => inner.NoteAccepted(id, accepted);
}

/// <summary>The message store, with the failures of later evidence (bounces) noted for the queue page.</summary>
internal sealed class FailureNotingMessageStore(IMessageStore inner, FailureNoting noting) : IMessageStore
{
    public Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken) => inner.AcceptAsync(message, cancellationToken);

    public Task<IReadOnlyList<AcceptResult>> AcceptBatchAsync(IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken) =>
        inner.AcceptBatchAsync(messages, cancellationToken);

    public Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken) => inner.FindAsync(id, cancellationToken);

    public Task<string?> FindIdByMessageIdHeaderAsync(string accountId, string messageIdHeader, CancellationToken cancellationToken) =>
        inner.FindIdByMessageIdHeaderAsync(accountId, messageIdHeader, cancellationToken);

    public async Task<bool> RecordAsync(string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
    {
        var recorded = await inner.RecordAsync(id, updates, events, cancellationToken);
        if (recorded)
        {
            await noting.NoteAsync(id, events);
        }

        return recorded;
    }
}
