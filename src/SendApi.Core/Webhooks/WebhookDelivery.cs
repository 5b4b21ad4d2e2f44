using System.Security.Cryptography;
using System.Text;

namespace SendApi.Core.Webhooks;

public enum WebhookDeliveryStatus
{
    /// <summary>Not yet attempted, or failed and a retry is scheduled.</summary>
    Pending,
    Succeeded,

    /// <summary>The retries ran out, or the endpoint is gone.</summary>
    Failed,
}

/// <summary>
/// One event on its way to one endpoint. Its id is the <c>webhook-id</c> header, the same on
/// every attempt, so that receivers can drop duplicates (delivery is at least once).
/// </summary>
/// <param name="Payload">The exact JSON body, kept so that every attempt sends (and signs) the same bytes.</param>
/// <param name="Retries">Automatic retries scheduled so far: the position in the retry schedule.</param>
/// <param name="History">The latest attempts, oldest first, at most <see cref="WebhookLimits.AttemptsPerDelivery"/>.</param>
public sealed record WebhookDelivery(
    string Id,
    string WebhookId,
    string AccountId,
    string EventId,
    string EventType,
    string? MessageId,
    string Payload,
    DateTimeOffset CreatedAt,
    WebhookDeliveryStatus Status,
    int Attempts,
    int Retries,
    DateTimeOffset? NextRetryAt,
    IReadOnlyList<WebhookAttempt> History)
{
    private const string IdPrefix = "msg_";

    public WebhookAttempt? LastAttempt => History.Count == 0 ? null : History[^1];

    /// <summary>
    /// The delivery id of an event for an endpoint. Derived, not random: a dispatcher that
    /// handles the same outbox entry twice (after a crash) finds the record it made before.
    /// </summary>
    public static string IdFor(string eventId, string webhookId) =>
        IdPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{eventId}\n{webhookId}")))[..32];

    /// <summary>A delivery id as <see cref="IdFor"/> makes it; ids come from URLs.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: 36 } && id.StartsWith(IdPrefix, StringComparison.Ordinal)
        && !id.AsSpan(IdPrefix.Length).ContainsAnyExcept("0123456789abcdef");
}

/// <param name="StatusCode">The endpoint's HTTP status; null when no response came (timeout, refused, unreachable).</param>
/// <param name="Manual">Made through the retry endpoint rather than the schedule.</param>
public sealed record WebhookAttempt(DateTimeOffset At, int? StatusCode, long LatencyMs, string? Error, bool Manual = false);
