using SendApi.Core.Messages;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded store: the same contract as Redis, held in this process under one lock. Nothing
/// here survives a restart, which the host says loudly at start.
/// </summary>
internal sealed class InMemoryMessageStore(TimeProvider time) : IMessageStore, IDeliveryQueue
{
    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Id, DateTimeOffset Expires)> _idempotency = new(StringComparer.Ordinal);
    private readonly SortedSet<(long Due, string Id)> _due = new();
    private readonly Dictionary<string, long> _dueById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _claims = new(StringComparer.Ordinal);

    private sealed class Entry(MessageEnvelope envelope, ReadOnlyMemory<byte> mime, RecipientState[] recipients)
    {
        public MessageEnvelope Envelope { get; } = envelope;
        public ReadOnlyMemory<byte> Mime { get; } = mime;
        public RecipientState[] Recipients { get; } = recipients;
        public List<MessageEvent> Events { get; } = [];
    }

    public Task<AcceptResult> AcceptAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        lock (_gate)
        {
            var idempotencyKey = message.IdempotencyKey is null ? null : $"{envelope.AccountId}:{message.IdempotencyKey}";
            if (idempotencyKey is not null
                && _idempotency.TryGetValue(idempotencyKey, out var previous)
                && previous.Expires > time.GetUtcNow())
            {
                return Task.FromResult(new AcceptResult(previous.Id, Replayed: true));
            }

            var recipients = envelope.Recipients.Select(_ => RecipientState.Queued(envelope.CreatedAt)).ToArray();
            var entry = new Entry(envelope, message.Mime.ToArray(), recipients);
            entry.Events.Add(new MessageEvent(MessageEventTypes.Queued, envelope.CreatedAt, null, $"{recipients.Length} recipient(s)"));
            _messages[envelope.Id] = entry;
            SetDue(envelope.Id, envelope.CreatedAt);
            if (idempotencyKey is not null)
            {
                _idempotency[idempotencyKey] = (envelope.Id, time.GetUtcNow() + IdempotencyWindow);
            }
        }

        return Task.FromResult(new AcceptResult(envelope.Id, Replayed: false));
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
                : null);
        }
    }

    public Task UpdateRecipientsAsync(string id, IReadOnlyList<RecipientUpdate> updates, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_messages.TryGetValue(id, out var entry))
            {
                Apply(entry, updates);
            }
        }

        return Task.CompletedTask;
    }

    public Task CompleteAsync(string claim, string id, IReadOnlyList<RecipientUpdate> updates, IReadOnlyList<MessageEvent> events, DateTimeOffset? nextDue, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_messages.TryGetValue(id, out var entry))
            {
                Apply(entry, updates);
                entry.Events.AddRange(events);
            }

            if (_claims.TryGetValue(id, out var current) && current == claim)
            {
                _claims.Remove(id);
                if (nextDue is { } due)
                {
                    SetDue(id, due);
                }
                else
                {
                    RemoveDue(id);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<long> CountPendingAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_due.Count);
        }
    }

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
