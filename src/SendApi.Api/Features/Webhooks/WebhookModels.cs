using System.Text.Json.Serialization;
using SendApi.Core.Webhooks;

namespace SendApi.Api.Features.Webhooks;

/// <summary>The body of <c>POST /webhooks</c>.</summary>
/// <param name="Url">Where events are POSTed: an http:// or https:// URL that reaches a public address.</param>
/// <param name="Events">Event types to receive: message.queued, message.delivered, message.deferred, message.bounced, message.failed, message.suppressed, message.complained, inbound.received.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events);

/// <param name="Enabled">False once the endpoint answered 410 Gone; nothing is sent to it any more.</param>
/// <param name="PreviousSecretExpiresAt">After a rotation, until when requests carry a second signature made with the previous secret.</param>
public sealed record WebhookDetails(
    string Id,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PreviousSecretExpiresAt)
{
    internal static WebhookDetails From(Webhook w, DateTimeOffset now) =>
        new(w.Id, w.Url, w.Events, w.IsEnabled, w.DisabledReason, w.CreatedAt, w.PreviousSecretExpiresAt > now ? w.PreviousSecretExpiresAt : null);
}

/// <param name="Secret">The signing secret ("whsec_…"). It is shown only in this response and on rotation.</param>
public sealed record CreatedWebhook(string Id, string Url, IReadOnlyList<string> Events, bool Enabled, DateTimeOffset CreatedAt, string Secret);

/// <param name="Secret">The new signing secret, shown only here.</param>
/// <param name="PreviousSecretExpiresAt">Until then every request is signed with both secrets.</param>
public sealed record RotatedSecret(string Id, string Secret, DateTimeOffset PreviousSecretExpiresAt);

/// <param name="Id">The delivery id: the webhook-id header, the same on every attempt.</param>
/// <param name="Status">pending (waiting for an attempt or a retry), succeeded or failed.</param>
/// <param name="Attempts">Attempts made, manual replays included.</param>
/// <param name="History">The latest attempts, oldest first.</param>
public sealed record WebhookDeliveryDetails(
    string Id,
    string EventType,
    string? MessageId,
    string Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatusCode,
    long? LastLatencyMs,
    string? LastError,
    DateTimeOffset? NextRetryAt,
    IReadOnlyList<WebhookAttemptDetails> History)
{
    internal static WebhookDeliveryDetails From(WebhookDelivery d) =>
        new(d.Id,
            d.EventType,
            d.MessageId,
            d.Status.ToString().ToLowerInvariant(),
            d.Attempts,
            d.CreatedAt,
            d.LastAttempt?.At,
            d.LastAttempt?.StatusCode,
            d.LastAttempt?.LatencyMs,
            d.LastAttempt?.Error,
            d.NextRetryAt,
            [.. d.History.Select(a => new WebhookAttemptDetails(a.At, a.StatusCode, a.LatencyMs, a.Error, a.Manual))]);
}

/// <param name="StatusCode">The endpoint's HTTP status; absent when it did not answer.</param>
/// <param name="Manual">Made through the retry endpoint.</param>
public sealed record WebhookAttemptDetails(DateTimeOffset At, int? StatusCode, long LatencyMs, string? Error, bool Manual);
