namespace SendApi.Core.Webhooks;

/// <summary>
/// An endpoint that receives an account's events. The secret signs every request; after a
/// rotation each earlier secret keeps signing too until its grace period ends
/// (<paramref name="PreviousSecrets"/>), so that receivers can switch without dropping a request,
/// even across two rotations in a row (a rotation retried after its answer was lost, whose new
/// secret nobody saw, must not cut off the secret the receiver still checks).
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
    DateTimeOffset? DisabledAt = null,
    string? DisabledReason = null)
{
    /// <summary>At most this many earlier secrets are kept (the newest), whatever their grace.</summary>
    public const int PreviousSecretsKept = 5;

    /// <summary>Earlier secrets, the newest first, each signing until its <see cref="RetiredSecret.ExpiresAt"/>.</summary>
    public IReadOnlyList<RetiredSecret> PreviousSecrets { get; init; } = [];

    /// <summary>When the last earlier secret stops signing; null when none was ever rotated out.</summary>
    public DateTimeOffset? PreviousSecretExpiresAt => PreviousSecrets.Count == 0 ? null : PreviousSecrets.Max(p => p.ExpiresAt);

    public bool IsEnabled => DisabledAt is null;

    public bool Receives(string eventType) => IsEnabled && Events.Contains(eventType, StringComparer.Ordinal);

    /// <summary>The secrets to sign with at <paramref name="now"/>: the current one first, then each earlier one still in its grace period.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        [Secret, .. PreviousSecrets.Where(p => p.ExpiresAt > now).Select(p => p.Secret)];

    /// <summary>This endpoint with <paramref name="secret"/> current and the current one kept until <paramref name="previousExpiresAt"/>.</summary>
    public Webhook Rotated(string secret, DateTimeOffset previousExpiresAt) => this with
    {
        Secret = secret,
        PreviousSecrets = [new RetiredSecret(Secret, previousExpiresAt), .. PreviousSecrets.Take(PreviousSecretsKept - 1)],
    };
}

/// <summary>A secret rotated out, still signing until <paramref name="ExpiresAt"/>.</summary>
public sealed record RetiredSecret(string Secret, DateTimeOffset ExpiresAt);

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
