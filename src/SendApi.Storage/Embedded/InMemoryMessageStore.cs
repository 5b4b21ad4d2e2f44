using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded store: the same contract as Redis, held in this process under one lock. Nothing
/// here survives a restart, which the host says loudly at start. Events also go to the webhook
/// outbox, under the same lock, when their account has an endpoint, and are counted for the stats;
/// the search index is kept under it too.
/// </summary>
internal sealed partial class InMemoryMessageStore(TimeProvider time, InMemoryWebhookOutbox? webhooks = null) : IMessageStore, IDeliveryQueue
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Id, DateTimeOffset Expires)> _idempotency = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Account, string Header), string> _byMessageIdHeader = [];
    private readonly SortedSet<(long Due, string Id)> _due = new();
    private readonly Dictionary<string, long> _dueById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _claims = new(StringComparer.Ordinal);
    private readonly Queue<(DateTimeOffset Finished, string Id)> _finished = new();
    private readonly Queue<(DateTimeOffset Expires, string Key)> _idempotencyExpiry = new();
    private readonly InMemorySearchIndex _search = new();
    private readonly InMemoryStatsCounters _stats = new();

    private sealed class Entry(MessageEnvelope envelope, ReadOnlyMemory<byte> mime, MessageVariants variants, RecipientState[] recipients)
    {
        public MessageEnvelope Envelope { get; } = envelope;
        public ReadOnlyMemory<byte> Mime { get; set; } = mime;
        public MessageVariants Variants { get; set; } = variants;
        public RecipientState[] Recipients { get; } = recipients;
        public List<MessageEvent> Events { get; } = [];

        /// <summary>The last attempt recorded: a retry of it changes nothing, as on Redis (here no reply can be lost, but the rule is the store's).</summary>
        public string? Recorded { get; set; }

        /// <summary>Remote 250s noted during an attempt (<see cref="IDeliveryQueue.NoteAccepted"/>), dropped when the message is finished.</summary>
        public Dictionary<int, MessageEvent> Accepted { get; } = [];

        /// <summary>The status search sees: set when the message is accepted and when an attempt or evidence is recorded, as on Redis.</summary>
        public string SearchStatus { get; set; } = MessageStatus.Of(recipients);
    }

    public Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        lock (_gate)
        {
            ForgetExpired();
            var idempotencyKey = message.IdempotencyKey is null ? null : $"{envelope.AccountId}:{message.IdempotencyKey}";
            if (idempotencyKey is not null
                && _idempotency.TryGetValue(idempotencyKey, out var previous)
                && previous.Expires > time.GetUtcNow())
            {
                return Task.FromResult(new AcceptResult(previous.Id, Replayed: true));
            }

            var recipients = message.StartingStates();
            var finished = recipients.All(r => r.Status.IsFinal());
            var entry = finished
                ? new Entry(envelope, ReadOnlyMemory<byte>.Empty, MessageVariants.None, recipients)
                : new Entry(envelope, message.Mime.ToArray(), Copy(message.Variants), recipients);
            entry.Events.Add(new MessageEvent(MessageEventTypes.Queued, envelope.CreatedAt, null, $"{recipients.Length} recipient(s)"));
            entry.Events.AddRange(message.InitialEvents);
            webhooks?.AddIfWanted(envelope, entry.Events);
            _messages[envelope.Id] = entry;
            _search.Add(envelope);
            _stats.Count(envelope, StatsEvents.OfAccept(message));
            if (!string.IsNullOrEmpty(envelope.MessageIdHeader))
            {
                _byMessageIdHeader[(envelope.AccountId, envelope.MessageIdHeader)] = envelope.Id;
            }

            if (finished)
            {
                // Nothing to deliver (every recipient suppressed): finished now, as Complete would leave it.
                _finished.Enqueue((time.GetUtcNow(), envelope.Id));
            }
            else
            {
                SetDue(envelope.Id, envelope.FirstDueAt);
            }
            if (idempotencyKey is not null)
            {
                var expires = time.GetUtcNow() + MessageLifetimes.IdempotencyWindow;
                _idempotency[idempotencyKey] = (envelope.Id, expires);
                _idempotencyExpiry.Enqueue((expires, idempotencyKey));
            }
        }

        return Task.FromResult(new AcceptResult(envelope.Id, Replayed: false));
    }

    public async Task<IReadOnlyList<AcceptResult>> AcceptBatchAsync(IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        var results = new AcceptResult[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            results[i] = await AcceptAsync(messages[i], cancellationToken);
        }

        return results;
    }

    public Task<string?> FindIdByMessageIdHeaderAsync(string accountId, string messageIdHeader, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_byMessageIdHeader.GetValueOrDefault((accountId, messageIdHeader)));
        }
    }

    public Task<StoredMessage?> FindAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_messages.TryGetValue(id, out var entry)
                ? new StoredMessage(entry.Envelope, [.. entry.Recipients], [.. entry.Events])
                : null);
        }
    }

    public Task<IReadOnlyList<string>> ClaimDueAsync(string claim, DateTimeOffset now, int max, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var ids = _due.TakeWhile(d => d.Due <= now.ToUnixTimeMilliseconds()).Take(max).Select(d => d.Id).ToList();
            foreach (var id in ids)
            {
                SetDue(id, leaseUntil);
                _claims[id] = claim;
            }

            return Task.FromResult<IReadOnlyList<string>>(ids);
        }
    }

    public Task<IReadOnlyList<string>> ReclaimAsync(string claim, IReadOnlyCollection<string> held, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var known = held.ToHashSet(StringComparer.Ordinal);
            var found = _claims.Where(c => c.Value == claim && !known.Contains(c.Key) && _dueById.ContainsKey(c.Key)).Select(c => c.Key).ToList();
            foreach (var id in found)
            {
                SetDue(id, leaseUntil);
            }

            return Task.FromResult<IReadOnlyList<string>>(found);
        }
    }

    public Task<IReadOnlyList<string>> RenewAsync(string claim, IReadOnlyList<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var owned = ids.Where(id => _claims.TryGetValue(id, out var c) && c == claim).ToList();
            foreach (var id in owned)
            {
                SetDue(id, leaseUntil);
            }

            return Task.FromResult<IReadOnlyList<string>>(owned);
        }
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_due.Count == 0 ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(_due.Min.Due));
        }
    }

    public Task<DeliveryWork?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_messages.TryGetValue(id, out var entry)
                ? new DeliveryWork(entry.Envelope, [.. entry.Recipients], entry.Mime)
                {
                    Variants = entry.Variants,
                    Accepted = entry.Accepted.Count > 0 && entry.Recipients.Any(r => r.Status == RecipientStatus.Sending)
                        ? new Dictionary<int, MessageEvent>(entry.Accepted)
                        : DeliveryWork.NoneAccepted,
                }
                : null);
        }
    }

    public Task<ForgetOutcome> ForgetAsync(string claim, string id, DateTimeOffset dueIfFound, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!Holds(claim, id))
            {
                return Task.FromResult(ForgetOutcome.NotHeld);
            }

            _claims.Remove(id);
            if (_messages.ContainsKey(id))
            {
                SetDue(id, dueIfFound);
                return Task.FromResult(ForgetOutcome.PutBack);
            }

            RemoveDue(id);
            return Task.FromResult(ForgetOutcome.Dropped);
        }
    }

    public Task<bool> UpdateRecipientsAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!Holds(claim, id) || !_messages.TryGetValue(id, out var entry))
            {
                return Task.FromResult(false);
            }

            ApplyAttempt(entry, updates);
            return Task.FromResult(true);
        }
    }

    public Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, string? attempt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _messages.TryGetValue(id, out var entry);
            if (attempt is not null && entry?.Recorded == attempt)
            {
                return Task.CompletedTask;
            }

            if (attempt is not null && entry is not null)
            {
                entry.Recorded = attempt;
            }

            entry?.Events.AddRange(events);
            if (entry is not null && events.Count > 0)
            {
                webhooks?.AddIfWanted(entry.Envelope, events);
                _stats.Count(entry.Envelope, StatsEvents.Of(events));
            }

            if (Holds(claim, id))
            {
                if (entry is not null)
                {
                    ApplyAttempt(entry, updates);
                    entry.SearchStatus = MessageStatus.Of(entry.Recipients);
                }

                _claims.Remove(id);
                if (nextDue is { } due)
                {
                    SetDue(id, due);
                }
                else
                {
                    RemoveDue(id);
                    if (entry is not null)
                    {
                        entry.Mime = ReadOnlyMemory<byte>.Empty;
                        entry.Variants = MessageVariants.None;
                        entry.Accepted.Clear();
                        _finished.Enqueue((time.GetUtcNow(), id));
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    public void NoteAccepted(string id, IReadOnlyList<(int Recipient, MessageEvent Delivered)> accepted)
    {
        lock (_gate)
        {
            // Only while the message is queued: a late note on a finished message would never go.
            if (_dueById.ContainsKey(id) && _messages.TryGetValue(id, out var entry))
            {
                foreach (var (recipient, delivered) in accepted)
                {
                    entry.Accepted[recipient] = delivered;
                }
            }
        }
    }

    public Task<bool> RecordAsync(string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(id, out var entry))
            {
                return Task.FromResult(false);
            }

            Apply(entry, updates);
            entry.SearchStatus = MessageStatus.Of(entry.Recipients);
            entry.Events.AddRange(events);
            if (events.Count > 0)
            {
                webhooks?.AddIfWanted(entry.Envelope, events);
                _stats.Count(entry.Envelope, StatsEvents.Of(events));
            }

            return Task.FromResult(true);
        }
    }

    /// <summary>The caller's buffers are its own, as <see cref="NewMessage.Mime"/>'s are: keep copies.</summary>
    private static MessageVariants Copy(MessageVariants variants) =>
        variants.IsEmpty ? variants : new MessageVariants([.. variants.Bodies.Select(b => (ReadOnlyMemory<byte>)b.ToArray())], [.. variants.VariantOfRecipient]);

    private bool Holds(string claim, string id) => _claims.TryGetValue(id, out var current) && current == claim;

    /// <summary>Drops finished messages past retention and expired idempotency keys; cheap, run on each accept.</summary>
    private void ForgetExpired()
    {
        var now = time.GetUtcNow();
        while (_finished.TryPeek(out var oldest) && oldest.Finished + MessageLifetimes.Retention <= now)
        {
            _finished.Dequeue();
            if (!_dueById.ContainsKey(oldest.Id) && _messages.Remove(oldest.Id, out var forgotten))
            {
                _search.Remove(forgotten.Envelope);
                var header = (forgotten.Envelope.AccountId, forgotten.Envelope.MessageIdHeader);
                if (_byMessageIdHeader.TryGetValue(header, out var indexed) && indexed == oldest.Id)
                {
                    _byMessageIdHeader.Remove(header);
                }
            }
        }

        _stats.ForgetExpired(now);
        while (_idempotencyExpiry.TryPeek(out var key) && key.Expires <= now)
        {
            _idempotencyExpiry.Dequeue();
            if (_idempotency.TryGetValue(key.Key, out var entry) && entry.Expires <= now)
            {
                _idempotency.Remove(key.Key);
            }
        }
    }

    /// <summary>An attempt's states, except over one that later evidence set meanwhile (a bounce).</summary>
    private static void ApplyAttempt(Entry entry, IReadOnlyList<RecipientUpdate> updates)
    {
        foreach (var update in updates)
        {
            if (RecipientTransitions.AttemptMayReplace(entry.Recipients[update.Index].Status))
            {
                entry.Recipients[update.Index] = update.State;
            }
        }
    }

    /// <summary>Later evidence: replaces any state.</summary>
    private static void Apply(Entry entry, IReadOnlyList<RecipientUpdate> updates)
    {
        foreach (var update in updates)
        {
            entry.Recipients[update.Index] = update.State;
        }
    }

    private void SetDue(string id, DateTimeOffset at)
    {
        RemoveDue(id);
        var score = at.ToUnixTimeMilliseconds();
        _due.Add((score, id));
        _dueById[id] = score;
    }

    private void RemoveDue(string id)
    {
        if (_dueById.Remove(id, out var score))
        {
            _due.Remove((score, id));
        }
    }
}
