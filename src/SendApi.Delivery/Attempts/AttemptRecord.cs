using SendApi.Core.Messages;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// The reply→state mapping of one attempt: each reply becomes the recipient's next state and an
/// event (delivered, failed, deferred until the retry policy's next time, or given up at the
/// maximum age); a recipient still waiting for its domain's turn is postponed, or fails once the
/// wait has reached the maximum age; one the attempt never reached (shutdown) is due again at once.
/// </summary>
internal sealed class AttemptRecord(DeliveryWork work, RetryPolicy retry, TimeProvider time)
{
    private readonly List<RecipientUpdate> _updates = [];
    private readonly List<MessageEvent> _events = [];
    private readonly HashSet<int> _recorded = [];
    private readonly Dictionary<int, (DateTimeOffset Until, PostponedFor Reason)> _postponed = [];

    /// <summary>Recipients whose body cannot be read: failed for good, there is nothing to send them.</summary>
    public void Unreadable(IEnumerable<(int Recipient, string Error)> recipients)
    {
        foreach (var (index, error) in recipients)
        {
            Reply(index, new SmtpReply(554, "5.6.0", $"The stored message cannot be read: {error}"), null, null);
        }
    }

    /// <summary>An event of the attempt that is no recipient's reply (a domain asked to slow down).</summary>
    public void Add(MessageEvent? evt)
    {
        if (evt is not null)
        {
            _events.Add(evt);
        }
    }

    /// <summary>Not an attempt: the recipients wait (for their domain's turn, or for the store) until <paramref name="until"/>.</summary>
    public void Postpone(IEnumerable<int> recipients, DateTimeOffset until, PostponedFor reason)
    {
        foreach (var index in recipients)
        {
            _postponed[index] = (until, reason);
        }
    }

    /// <summary>
    /// Due recipients whose remote 250 an interrupted attempt noted but never recorded
    /// (<see cref="DeliveryWork.Accepted"/>): delivered, with the event that attempt would have
    /// recorded, not sent again. Returns the due recipients left to send.
    /// </summary>
    public IReadOnlyList<int> AcceptedEarlier(IReadOnlyList<int> due)
    {
        if (work.Accepted.Count == 0)
        {
            return due;
        }

        var left = new List<int>(due.Count);
        foreach (var index in due)
        {
            if (work.Accepted.TryGetValue(index, out var delivered) && delivered.Reply is { IsPositive: true } reply)
            {
                var now = time.GetUtcNow();
                _updates.Add(new RecipientUpdate(index, new RecipientState(RecipientStatus.Delivered, work.Recipients[index].Attempts + 1, reply, null, now)));
                _events.Add(delivered);
                _recorded.Add(index);
            }
            else
            {
                left.Add(index);
            }
        }

        return left;
    }

    /// <summary>
    /// The group's transaction answered (or failed, which is an answer too): one reply per
    /// recipient, in order. Returns the recipients it delivered, with their events, to note at once.
    /// </summary>
    public IReadOnlyList<(int Recipient, MessageEvent Delivered)> Replies(RecipientGroup group, SentTransaction sent)
    {
        List<(int, MessageEvent)>? delivered = null;
        for (var k = 0; k < group.Recipients.Count; k++)
        {
            var evt = Reply(group.Recipients[k], sent.Replies[k], sent.Via, sent.DurationMs);
            if (evt.Type == MessageEventTypes.Delivered)
            {
                (delivered ??= []).Add((group.Recipients[k], evt));
            }
        }

        return delivered ?? (IReadOnlyList<(int, MessageEvent)>)[];
    }

    /// <summary>
    /// The outcome: what was recorded, and each due recipient not recorded postponed (failed when
    /// it is <paramref name="giveUpAt"/>) or, not reached, due again at once.
    /// </summary>
    public AttemptOutcome Finish(IReadOnlyList<int> due, DateTimeOffset giveUpAt)
    {
        var now = time.GetUtcNow();
        foreach (var index in due.Where(i => !_recorded.Contains(i)))
        {
            if (!_postponed.TryGetValue(index, out var later))
            {
                // Not reached (shutting down): due again at once.
                _updates.Add(new RecipientUpdate(index, work.Recipients[index] with { NextAttemptAt = now, UpdatedAt = now }));
            }
            else if (now >= giveUpAt)
            {
                ExpiredWhilePostponed(index, later.Reason, now);
            }
            else
            {
                _updates.Add(new RecipientUpdate(index, work.Recipients[index] with { NextAttemptAt = later.Until, UpdatedAt = now }));
            }
        }

        var states = work.Recipients.ToArray();
        foreach (var update in _updates)
        {
            states[update.Index] = update.State;
        }

        var nextDue = states.Where(s => !s.Status.IsFinal()).Select(s => s.NextAttemptAt).Min();
        return new AttemptOutcome(_updates, _events, nextDue);
    }

    private MessageEvent Reply(int index, SmtpReply reply, string? via, long? durationMs)
    {
        var now = time.GetUtcNow();
        var address = work.Envelope.Recipients[index].Address;
        var attempts = work.Recipients[index].Attempts + 1;
        RecipientState state;
        MessageEvent evt;
        if (reply.IsPositive)
        {
            state = new RecipientState(RecipientStatus.Delivered, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Delivered, now, address, $"{reply} (via {via})", reply, via, durationMs);
        }
        else if (reply.IsPermanent)
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address, reply.ToString(), reply, via, durationMs);
        }
        else if (retry.NextAttempt(work.Envelope.FirstDueAt, attempts, now) is { } next)
        {
            state = new RecipientState(RecipientStatus.Deferred, attempts, reply, next, now);
            evt = new MessageEvent(MessageEventTypes.Deferred, now, address, $"{reply}; next attempt at {next:yyyy-MM-ddTHH:mm:ssZ}", reply, via, durationMs);
        }
        else
        {
            state = new RecipientState(RecipientStatus.Failed, attempts, reply, null, now);
            evt = new MessageEvent(MessageEventTypes.Failed, now, address,
                $"Gave up after {attempts} attempt(s), the message is older than Delivery:MaxAge ({retry.MaxAge}); last reply: {reply}", reply, via, durationMs);
        }

        _updates.Add(new RecipientUpdate(index, state));
        _events.Add(evt);
        _recorded.Add(index);
        return evt;
    }

    /// <summary>Still waiting (for its domain's rate limit, or the store) at the maximum age: failed, as a deferred recipient would be.</summary>
    private void ExpiredWhilePostponed(int index, PostponedFor reason, DateTimeOffset now)
    {
        var recipient = work.Envelope.Recipients[index];
        var (reply, waitingFor) = reason switch
        {
            PostponedFor.Store => (new SmtpReply(451, "4.3.0", "Not sent: the store, which holds the signing keys, was unavailable until Delivery:MaxAge"), "the store to sign it"),
            PostponedFor.Body => (new SmtpReply(451, "4.3.0", "Not sent: the store held the message's record but not its body until Delivery:MaxAge"), "its body in the store"),
            _ => (new SmtpReply(451, "4.4.5", $"Not sent: {recipient.Domain}'s sending limit (Delivery:Domains) left no slot before Delivery:MaxAge"),
                $"{recipient.Domain}'s sending limit"),
        };
        _updates.Add(new RecipientUpdate(index, work.Recipients[index] with { Status = RecipientStatus.Failed, LastReply = reply, NextAttemptAt = null, UpdatedAt = now }));
        _events.Add(new MessageEvent(MessageEventTypes.Failed, now, recipient.Address,
            $"Gave up, the message is past Delivery:MaxAge ({retry.MaxAge}) and was still waiting for {waitingFor}", reply));
    }
}

/// <summary>What a postponed recipient waits for.</summary>
internal enum PostponedFor
{
    /// <summary>Its domain's turn (Delivery:Domains limits).</summary>
    DomainLimit,

    /// <summary>The store, to read a key the message must be signed with.</summary>
    Store,

    /// <summary>The store, to read the message's body (<see cref="DeliveryWork.BodyMissing"/>).</summary>
    Body,
}
