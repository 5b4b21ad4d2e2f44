using SendApi.Core.Webhooks;

namespace SendApi.Storage.Embedded;

/// <summary>Endpoints and their delivery logs in this process, under one lock.</summary>
internal sealed class InMemoryWebhookStore : IWebhookStore, IWebhookDeliveryLog
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Webhook> _webhooks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _countByAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeliveryLog> _deliveries = new(StringComparer.Ordinal);

    private sealed class DeliveryLog
    {
        public Dictionary<string, WebhookDelivery> ById { get; } = new(StringComparer.Ordinal);

        public LinkedList<string> Order { get; } = [];
    }

    /// <summary>Whether events of this account go to the outbox; asked by the message store under its own lock.</summary>
    public bool HasWebhooks(string accountId)
    {
        lock (_gate)
        {
            return _countByAccount.ContainsKey(accountId);
        }
    }

    public Task CreateAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_webhooks.TryAdd(webhook.Id, webhook))
            {
                _countByAccount[webhook.AccountId] = _countByAccount.GetValueOrDefault(webhook.AccountId) + 1;
                _deliveries[webhook.Id] = new DeliveryLog();
            }
        }

        return Task.CompletedTask;
    }

    public Task<Webhook?> FindAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Owned(accountId, id));
        }
    }

    public Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<Webhook>>([.. _webhooks.Values.Where(w => w.AccountId == accountId).OrderBy(w => w.CreatedAt)]);
        }
    }

    public Task<bool> DeleteAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Owned(accountId, id) is null)
            {
                return Task.FromResult(false);
            }

            _webhooks.Remove(id);
            _deliveries.Remove(id);
            if (--_countByAccount[accountId] == 0)
            {
                _countByAccount.Remove(accountId);
            }

            return Task.FromResult(true);
        }
    }

    public Task<Webhook?> RotateSecretAsync(string accountId, string id, string secret, DateTimeOffset previousExpiresAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Owned(accountId, id) is not { } webhook)
            {
                return Task.FromResult<Webhook?>(null);
            }

            var rotated = webhook.Rotated(secret, previousExpiresAt);
            _webhooks[id] = rotated;
            return Task.FromResult<Webhook?>(rotated);
        }
    }

    public Task DisableAsync(string accountId, string id, DateTimeOffset at, string reason, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Owned(accountId, id) is { } webhook)
            {
                _webhooks[id] = webhook with { DisabledAt = at, DisabledReason = reason };
            }
        }

        return Task.CompletedTask;
    }

    Task<bool> IWebhookDeliveryLog.AddAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(delivery.WebhookId, out var log) || !log.ById.TryAdd(delivery.Id, delivery))
            {
                return Task.FromResult(false);
            }

            log.Order.AddLast(delivery.Id);
            while (log.Order.Count > WebhookLimits.DeliveriesPerWebhook)
            {
                log.ById.Remove(log.Order.First!.Value);
                log.Order.RemoveFirst();
            }

            return Task.FromResult(true);
        }
    }

    Task<WebhookDelivery?> IWebhookDeliveryLog.FindAsync(string webhookId, string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_deliveries.TryGetValue(webhookId, out var log) ? log.ById.GetValueOrDefault(deliveryId) : null);
        }
    }

    Task IWebhookDeliveryLog.SaveAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_deliveries.TryGetValue(delivery.WebhookId, out var log) && log.ById.ContainsKey(delivery.Id))
            {
                log.ById[delivery.Id] = delivery;
            }
        }

        return Task.CompletedTask;
    }

    Task<IReadOnlyList<WebhookDelivery>> IWebhookDeliveryLog.ListAsync(string webhookId, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<WebhookDelivery>>(_deliveries.TryGetValue(webhookId, out var log)
                ? [.. log.Order.Reverse().Take(max).Select(id => log.ById[id])]
                : []);
        }
    }

    private Webhook? Owned(string accountId, string id) =>
        _webhooks.TryGetValue(id, out var webhook) && webhook.AccountId == accountId ? webhook : null;
}
