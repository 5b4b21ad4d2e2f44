using SendApi.Core.Messages;

namespace SendApi.Core.Queue;

/// <summary>What the queue's actions write, decided once for both stores.</summary>
public static class QueueRules
{
    public const string CanceledByOperator = "Canceled by an operator from the queue page; it will not be attempted again";

    public const string CanceledBySender = "Canceled by its sender (POST /messages/{id}/cancel); it will not be attempted again";

    /// <summary>How many failures and bounces the recent list keeps.</summary>
    public const int RecentFailuresKept = 100;

    /// <summary>
    /// The new states and events of a cancel: every recipient not yet final (waiting for its first
    /// attempt or its next one) is canceled, keeping its last reply and attempts, with a "canceled"
    /// event saying <paramref name="detail"/>.
    /// </summary>
    public static (IReadOnlyList<RecipientUpdate> Updates, IReadOnlyList<MessageEvent> Events) Cancel(MessageEnvelope envelope, IReadOnlyList<RecipientState> recipients, DateTimeOffset now, string detail)
    {
        var updates = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();
        for (var i = 0; i < recipients.Count; i++)
        {
            if (recipients[i].Status.IsFinal())
            {
                continue;
            }

            updates.Add(new RecipientUpdate(i, recipients[i] with { Status = RecipientStatus.Canceled, NextAttemptAt = null, UpdatedAt = now }));
            events.Add(new MessageEvent(MessageEventTypes.Canceled, now, envelope.Recipients[i].Address, detail));
        }

        return (updates, events);
    }

    /// <summary>
    /// The recipients at <paramref name="domain"/> that wait for a later attempt (a retry, or the
    /// domain's limit), made due at <paramref name="now"/>. None when the message is in flight.
    /// </summary>
    public static IReadOnlyList<RecipientUpdate> RetryNow(QueueEntry entry, string domain, DateTimeOffset now) => entry.InFlight
        ? []
        : [.. entry.Recipients
            .Select((state, i) => (state, i))
            .Where(r => r.state.Status is RecipientStatus.Deferred or RecipientStatus.Queued
                && r.state.NextAttemptAt > now
                && string.Equals(entry.Envelope.Recipients[r.i].Domain, domain, StringComparison.Ordinal))
            .Select(r => new RecipientUpdate(r.i, r.state with { NextAttemptAt = now }))];

    /// <summary>Whether an event belongs on the list of recent failures.</summary>
    public static bool IsFailure(MessageEvent e) => e.Type is MessageEventTypes.Failed or MessageEventTypes.Bounced;
}
