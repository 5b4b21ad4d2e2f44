namespace SendApi.Core.Webhooks;

/// <summary>
/// An endpoint that receives an account's events. The secret signs every request; after a
/// rotation the previous secret keeps signing too until <paramref name="PreviousSecretExpiresAt"/>,
/// so that receivers can switch without dropping a request.
/// </summary>
/// <param name="Events">Subscribed types, from <see cref="WebhookEventTypes"/>.</param>
/// <param name="Secret">"whsec_" and the base64 key (Standard Webhooks).</param>
/// <param name="DisabledAt">Set when the endpoint answered 410 Gone; nothing is sent to it any more.</param>
public sealed record Webhook(
    string Id,
    string AccountId,
    string Url,
    IReadOnlyList<string> Events,
    DateTimeOffset CreatedAt,
    string Secret,
    string? PreviousSecret = null,
    DateTimeOffset? PreviousSecretExpiresAt = null,
    DateTimeOffset? DisabledAt = null,
    string? DisabledReason = null)
{
    public bool IsEnabled => DisabledAt is null;

    public bool Receives(string eventType) => IsEnabled && Events.Contains(eventType, StringComparer.Ordinal);

    /// <summary>The secrets to sign with at <paramref name="now"/>: the current one first.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        PreviousSecret is not null && PreviousSecretExpiresAt > now ? [Secret, PreviousSecret] : [Secret];
}

public static class WebhookLimits
{
    /// <summary>Endpoints per account; each event is fanned out to all of them.</summary>
    public const int WebhooksPerAccount = 20;

    /// <summary>Deliveries kept per endpoint for the delivery log; older ones are forgotten.</summary>
    public const int DeliveriesPerWebhook = 1000;

    /// <summary>Attempts kept per delivery in its history.</summary>
    public const int AttemptsPerDelivery = 20;

    /// <summary>
    /// Events the outbox holds at most (approximately, in Redis). It only fills up when no
    /// dispatcher runs; the oldest events are dropped beyond this.
    /// </summary>
    public const int OutboxMaxLength = 1_000_000;
}
