using SendApi.Core.Messages;

namespace SendApi.Core.Queue;

/// <summary>
/// The operator's view of the delivery queue (the dashboard's mail pages) and its two actions.
/// Totals are exact; per-domain figures come from the first <c>scanLimit</c> entries of the queue
/// by due time, as Postfix's qshape reads its queue: no counter is kept on the delivery path, so
/// the view costs nothing until an operator looks, and the page says when it saw only part.
/// Both actions respect claims (<see cref="IDeliveryQueue"/>): a message in flight is left alone,
/// and a lapsed claim is voided so that its holder, if still alive, can no longer write states.
/// </summary>
public interface IQueueView
{
    Task<QueueSnapshot> SnapshotAsync(DateTimeOffset now, int scanLimit, CancellationToken cancellationToken);

    /// <summary>The domains among <paramref name="domains"/> whose limits a "slow down" reply lowers right now.</summary>
    Task<IReadOnlyDictionary<string, DomainSlowdown>> SlowdownsAsync(IReadOnlyCollection<string> domains, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the recipients at <paramref name="domain"/> that wait for a later attempt due at
    /// <paramref name="now"/>, in the messages among the first <paramref name="scanLimit"/> that
    /// are not in flight. Returns how many messages were made due.
    /// </summary>
    Task<int> RetryDomainNowAsync(string domain, DateTimeOffset now, int scanLimit, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels every recipient not yet final (<see cref="QueueRules.Cancel"/>), with a "canceled"
    /// event each saying <paramref name="detail"/> (webhooks get them as any other), and takes the
    /// message out of the queue.
    /// </summary>
    Task<CancelResult> CancelAsync(string id, DateTimeOffset now, string detail, CancellationToken cancellationToken);

    /// <summary>Keeps the failed and bounced events among <paramref name="events"/> in the short list of recent failures.</summary>
    Task NoteFailuresAsync(string id, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken);

    /// <summary>The newest failures and bounces, newest first (at most <see cref="QueueRules.RecentFailuresKept"/>).</summary>
    Task<IReadOnlyList<RecentFailure>> RecentFailuresAsync(int max, CancellationToken cancellationToken);
}

/// <summary>What cancelling did; the page says it in words.</summary>
public enum CancelResult
{
    Cancelled,

    /// <summary>Not stored (never was, or forgotten after retention).</summary>
    NotFound,

    /// <summary>Every recipient is already final: nothing left to cancel.</summary>
    AlreadyFinished,

    /// <summary>A delivery job holds the message right now; cancelling would race its SMTP transaction.</summary>
    InFlight,
}

/// <summary>One message of the delivery queue as the view reads it.</summary>
public sealed record QueueEntry(MessageEnvelope Envelope, IReadOnlyList<RecipientState> Recipients, DateTimeOffset Due, bool InFlight);

/// <summary>A domain whose limits are lowered: multiplied by <paramref name="Factor"/> until <paramref name="Until"/>.</summary>
public sealed record DomainSlowdown(double Factor, DateTimeOffset Until);

/// <summary>A recipient that failed or bounced, for the list of recent failures.</summary>
public sealed record RecentFailure(string MessageId, MessageEvent Event);
