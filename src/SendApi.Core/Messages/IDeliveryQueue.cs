namespace SendApi.Core.Messages;

/// <summary>One message's worth of delivery work, loaded by a worker.</summary>
/// <param name="Mime">The base body: what every recipient receives unless <see cref="Variants"/> gives it another.</param>
public sealed record DeliveryWork(MessageEnvelope Envelope, IReadOnlyList<RecipientState> Recipients, ReadOnlyMemory<byte> Mime)
{
    /// <summary>Per-recipient bodies, as accepted; none for almost every message.</summary>
    public MessageVariants Variants { get; init; } = MessageVariants.None;

    /// <summary>
    /// What holds <see cref="Mime"/>'s bytes when the store lent them from a pool (Redis: a leased
    /// buffer instead of a new array on the large object heap for every large message); the
    /// delivery disposes it once the attempt is over and nothing reads the bytes any more. Null
    /// when the bytes are the work's own.
    /// </summary>
    public IDisposable? Buffer { get; init; }

    /// <summary>The variant the recipient at <paramref name="recipient"/> receives (0 = <see cref="Mime"/>).</summary>
    public int VariantOf(int recipient) => Variants.Of(recipient);

    /// <summary>The exact bytes of variant <paramref name="variant"/>.</summary>
    public ReadOnlyMemory<byte> Body(int variant) => Variants.Body(variant, Mime);

    /// <summary>
    /// Recipients (by index) whose remote 250 an earlier attempt noted (<see cref="IDeliveryQueue.NoteAccepted"/>)
    /// but never recorded, because its process died or the store failed: each with the "delivered"
    /// event it would have recorded. Only a message with a recipient left in "sending" can have any.
    /// </summary>
    public IReadOnlyDictionary<int, MessageEvent> Accepted { get; init; } = NoneAccepted;

    public static readonly IReadOnlyDictionary<int, MessageEvent> NoneAccepted = new Dictionary<int, MessageEvent>();

    /// <summary>
    /// True when the store holds the message's record, with recipients still to deliver, but not
    /// its body: <see cref="Mime"/> is then empty and must not be sent. Read across a failover, or a
    /// body lost from the store (Redis evicting keys under <c>maxmemory</c>); not the message's
    /// fault, so its recipients wait for the store rather than fail.
    /// </summary>
    public bool BodyMissing { get; init; }
}

/// <summary>What <see cref="IDeliveryQueue.ForgetAsync"/> did.</summary>
public enum ForgetOutcome
{
    /// <summary>The record is gone: the queue entry was dropped.</summary>
    Dropped,

    /// <summary>The store holds the record after all: the message is due again.</summary>
    PutBack,

    /// <summary>A newer claim holds the message: nothing was changed.</summary>
    NotHeld,
}

/// <summary>A new state for the recipient at <paramref name="Index"/> in the envelope.</summary>
public sealed record RecipientUpdate(int Index, RecipientState State);

/// <summary>
/// The delivery side of the store: an index of messages by the time they are next due, with
/// leased claims. A claim is taken by the delivery job that will work the message, renewed while
/// it does, and released when the attempt is recorded. A worker that dies stops renewing, its
/// lease runs out, and the message becomes due again: that is how a SIGKILL loses nothing.
/// A newer claim on the same message makes an older one void, so a late duplicate job does nothing.
/// </summary>
public interface IDeliveryQueue
{
    /// <summary>Claims up to <paramref name="max"/> messages due at <paramref name="now"/> under <paramref name="claim"/>.</summary>
    Task<IReadOnlyList<string>> ClaimDueAsync(string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>
    /// The messages <paramref name="claim"/> holds at the store but that are not among
    /// <paramref name="held"/>, their lease renewed to <paramref name="leaseUntil"/>: what a
    /// <see cref="ClaimDueAsync"/> whose reply was lost (the store went down, or timed out, after
    /// carrying it out) claimed. Without this they would wait out their lease under a claim nobody
    /// works. Reads every live claim, so it is for after a failed claim, not for every claim.
    /// </summary>
    Task<IReadOnlyList<string>> ReclaimAsync(string claim, IReadOnlyCollection<string> held, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Renews the lease of the ids still held by <paramref name="claim"/> and returns them.</summary>
    Task<IReadOnlyList<string>> RenewAsync(string claim, IReadOnlyList<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>When the earliest message becomes due (or its lease runs out); null when nothing waits.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The message's record and bodies, read from the store's primary; null when there is no
    /// record. Never from a replica: one that has not caught up would show a just-accepted message
    /// as missing, or its record without its body.
    /// </summary>
    Task<DeliveryWork?> LoadAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="LoadAsync"/> found no record: drops the message's queue entry while
    /// <paramref name="claim"/> holds it, checking at the store itself, in the same step, that the
    /// record is indeed gone. If it is there after all, the claim is released and the message is due
    /// again at <paramref name="dueIfFound"/>: a read that missed it must not drop an accepted message.
    /// </summary>
    Task<ForgetOutcome> ForgetAsync(string claim, string id, DateTimeOffset dueIfFound, CancellationToken cancellationToken);

    /// <summary>Records recipient states (e.g. "sending") while <paramref name="claim"/> holds the message; false when it no longer does.</summary>
    Task<bool> UpdateRecipientsAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken);

    /// <summary>
    /// Records the outcome of an attempt: its events always (they happened), and, only while
    /// <paramref name="claim"/> still holds the message, the recipient states and the queue entry:
    /// scheduled for <paramref name="nextDue"/>, or removed for good when null. A worker whose claim
    /// was taken over can thus never overwrite the newer worker's results.
    /// <paramref name="attempt"/> names this outcome, the same on every try of recording it: a try
    /// after one whose reply was lost (the store carried it out, then went down or timed out)
    /// changes nothing, so its events are not recorded, sent to webhooks and counted twice. Null
    /// when there is nothing to double (a put-back, with no events or states).
    /// </summary>
    Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, string? attempt, CancellationToken cancellationToken);

    /// <summary>
    /// Notes, as soon as a transaction's 250s arrive and before the attempt is recorded, the
    /// "delivered" event of each recipient the remote server accepted, so that a worker taking the
    /// message over after a crash records them instead of sending again (<see cref="DeliveryWork.Accepted"/>).
    /// Not waited for: the write is queued ahead of the attempt's <see cref="CompleteAsync"/> on
    /// the same connection, and a note that is lost only widens the duplicate window back to what
    /// it was. Never throws. The notes go when the message is finished.
    /// </summary>
    void NoteAccepted(string id, IReadOnlyList<(int Recipient, MessageEvent Delivered)> accepted);
}

/// <summary>Wakes this instance's delivery when a message was just accepted, so it need not wait for its next poll.</summary>
public interface IDeliverySignal
{
    void Notify();
}
