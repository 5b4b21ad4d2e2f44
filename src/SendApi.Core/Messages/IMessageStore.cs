namespace SendApi.Core.Messages;

/// <summary>A message ready to be accepted: its envelope, its MIME bytes, and the client's idempotency key.</summary>
/// <remarks>
/// <see cref="Mime"/> is the caller's buffer, which it reuses once the store has answered the
/// accept (the intake's is pooled): a store that keeps the bytes beyond its answer copies them.
/// </remarks>
public sealed record NewMessage(MessageEnvelope Envelope, ReadOnlyMemory<byte> Mime, string? IdempotencyKey)
{
    /// <summary>
    /// Recipients that start in another state than queued (a suppressed one starts final). They are
    /// written in the same atomic step as the rest, so no worker can see them queued in between.
    /// When every recipient starts final the message is finished at once and never enters the queue.
    /// </summary>
    public IReadOnlyList<RecipientUpdate> InitialStates { get; init; } = [];

    /// <summary>Events recorded right after "queued", in the same step (e.g. "suppressed").</summary>
    public IReadOnlyList<MessageEvent> InitialEvents { get; init; } = [];

    /// <summary>
    /// Bodies some recipients receive instead of <see cref="Mime"/>, stored with it in the same
    /// atomic step and dropped with it when the message is finished. None for almost every message.
    /// </summary>
    /// <exception cref="ArgumentException">The variants name a different number of recipients than the envelope has.</exception>
    public MessageVariants Variants
    {
        get;
        init => field = value.IsEmpty || value.VariantOfRecipient.Count == Envelope.Recipients.Count
            ? value
            : throw new ArgumentException($"The variants name {value.VariantOfRecipient.Count} recipient(s); the envelope has {Envelope.Recipients.Count}.", nameof(value));
    } = MessageVariants.None;

    /// <summary>Each recipient's first state: queued unless <see cref="InitialStates"/> says otherwise.</summary>
    public RecipientState[] StartingStates()
    {
        var states = Envelope.Recipients.Select(_ => RecipientState.Queued(Envelope.CreatedAt, Envelope.FirstDueAt)).ToArray();
        foreach (var update in InitialStates)
        {
            states[update.Index] = update.State;
        }

        return states;
    }
}

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

    /// <summary>
    /// Accepts each message as <see cref="AcceptAsync"/> does (each one atomic, with its own
    /// idempotency key), in one round trip for all of them: a batch request costs the store one
    /// exchange, not one per message. Not atomic across messages. Results in the same order.
    /// </summary>
    Task<IReadOnlyList<AcceptResult>> AcceptBatchAsync(IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken);

    Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Our id of the account's message with this Message-ID header (without angle brackets), while
    /// the message is retained: how a reply's In-Reply-To or References finds what it answers.
    /// </summary>
    Task<string?> FindIdByMessageIdHeaderAsync(string accountId, string messageIdHeader, CancellationToken cancellationToken);

    /// <summary>
    /// Records later evidence about an existing message (a bounce or a complaint that came back
    /// after delivery): recipient states and events in one atomic step, with no claim, since it
    /// does not come from a delivery attempt. The events reach the webhook outbox as an attempt's
    /// would. False when the message is not (or no longer) stored.
    /// </summary>
    Task<bool> RecordAsync(string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken);
}
