using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Core.Webhooks;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded outbox: the message store adds events under its own lock (so an event is in the
/// timeline and the outbox together or in neither), the dispatcher takes them out. Handed-out
/// events stay pending until acknowledged, as in Redis; nothing survives a restart.
/// </summary>
internal sealed class InMemoryWebhookOutbox(InMemoryWebhookStore webhooks, TimeProvider time) : IWebhookOutbox
{
    private readonly Lock _gate = new();
    private readonly LinkedList<WebhookEvent> _fresh = [];
    private readonly Dictionary<string, (WebhookEvent Event, DateTimeOffset HandedOutAt)> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _arrived = new(0, 1);
    private long _sequence;

    /// <summary>Adds the events when the account has an endpoint; called by the message store.</summary>
    public void AddIfWanted(MessageEnvelope envelope, IEnumerable<MessageEvent> events)
    {
        if (!webhooks.HasWebhooks(envelope.AccountId))
        {
            return;
        }

        lock (_gate)
        {
            foreach (var e in events)
            {
                _fresh.AddLast(WebhookEvent.ForMessage($"{time.GetUtcNow().ToUnixTimeMilliseconds()}-{++_sequence}", envelope, e));
            }

            while (_fresh.Count > WebhookLimits.OutboxMaxLength)
            {
                _fresh.RemoveFirst();
            }
        }

        Signal();
    }

    /// <summary>Adds an <c>inbound.received</c> event when the account has an endpoint; called by the inbound store.</summary>
    public void AddInboundIfWanted(InboundEmail email)
    {
        if (!webhooks.HasWebhooks(email.AccountId))
        {
            return;
        }

        lock (_gate)
        {
            _fresh.AddLast(WebhookEvent.ForInbound($"{time.GetUtcNow().ToUnixTimeMilliseconds()}-{++_sequence}", email));
            while (_fresh.Count > WebhookLimits.OutboxMaxLength)
            {
                _fresh.RemoveFirst();
            }
        }

        Signal();
    }

    public Task<IReadOnlyList<WebhookEvent>> ReadAsync(string consumer, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var taken = new List<WebhookEvent>();
            while (taken.Count < max && _fresh.First is { } first)
            {
                _fresh.RemoveFirst();
                _pending[first.Value.Id] = (first.Value, now);
                taken.Add(first.Value);
            }

            return Task.FromResult<IReadOnlyList<WebhookEvent>>(taken);
        }
    }

    public Task<IReadOnlyList<WebhookEvent>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var idle = _pending.Values.Where(p => now - p.HandedOutAt >= minIdle).Take(max).Select(p => p.Event).ToList();
            foreach (var e in idle)
            {
                _pending[e.Id] = (e, now);
            }

            return Task.FromResult<IReadOnlyList<WebhookEvent>>(idle);
        }
    }

    public Task AcknowledgeAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var id in ids)
            {
                _pending.Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _arrived.WaitAsync(timeout, cancellationToken);

    private void Signal()
    {
        try
        {
            if (_arrived.CurrentCount == 0)
            {
                _arrived.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }
}
