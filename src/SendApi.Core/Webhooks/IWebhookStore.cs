namespace SendApi.Core.Webhooks;

/// <summary>Endpoints, per account. Every read and write names the account, so one account never reaches another's.</summary>
public interface IWebhookStore
{
    Task CreateAsync(Webhook webhook, CancellationToken cancellationToken);

    /// <summary>The endpoint, or null when it does not exist or belongs to another account.</summary>
    Task<Webhook?> FindAsync(string accountId, string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Deletes the endpoint and its delivery log.</summary>
    Task<bool> DeleteAsync(string accountId, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="secret"/> current and keeps the current one signing until
    /// <paramref name="previousExpiresAt"/>; one atomic step. Returns the updated endpoint.
    /// </summary>
    Task<Webhook?> RotateSecretAsync(string accountId, string id, string secret, DateTimeOffset previousExpiresAt, CancellationToken cancellationToken);

    Task DisableAsync(string accountId, string id, DateTimeOffset at, string reason, CancellationToken cancellationToken);
}

/// <summary>The delivery log: the last <see cref="WebhookLimits.DeliveriesPerWebhook"/> deliveries of each endpoint.</summary>
public interface IWebhookDeliveryLog
{
    /// <summary>Adds a new delivery; false when one with this id exists already or the endpoint was deleted.</summary>
    Task<bool> AddAsync(WebhookDelivery delivery, CancellationToken cancellationToken);

    Task<WebhookDelivery?> FindAsync(string webhookId, string deliveryId, CancellationToken cancellationToken);

    /// <summary>Replaces a delivery's record; does nothing when it is no longer in the log.</summary>
    Task SaveAsync(WebhookDelivery delivery, CancellationToken cancellationToken);

    /// <summary>The newest deliveries first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListAsync(string webhookId, int max, CancellationToken cancellationToken);
}
