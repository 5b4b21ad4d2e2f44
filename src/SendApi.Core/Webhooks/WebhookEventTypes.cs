namespace SendApi.Core.Webhooks;

/// <summary>
/// The event types an endpoint can subscribe to. Message events are the timeline's events
/// (<see cref="Messages.MessageEventTypes"/>) under a "message." prefix; add a type here when a
/// feature starts producing it.
/// </summary>
public static class WebhookEventTypes
{
    public const string MessageQueued = "message.queued";
    public const string MessageDelivered = "message.delivered";
    public const string MessageDeferred = "message.deferred";
    public const string MessageBounced = "message.bounced";
    public const string MessageFailed = "message.failed";
    public const string MessageSuppressed = "message.suppressed";
    public const string MessageComplained = "message.complained";

    /// <summary>A receiver asked us to slow down and the recipient's domain was throttled for a while.</summary>
    public const string MessageThrottled = "message.throttled";

    /// <summary>A message was accepted with a warning: its From domain is not verified, so it may land in spam.</summary>
    public const string MessageWarning = "message.warning";

    /// <summary>A recipient was canceled before it was attempted (again): POST /messages/{id}/cancel, or an operator.</summary>
    public const string MessageCanceled = "message.canceled";

    /// <summary>A recipient unsubscribed (one-click, the confirmation page, or mailto); the address is now suppressed for the account.</summary>
    public const string MessageUnsubscribed = "message.unsubscribed";

    /// <summary>A recipient's open-tracking image was fetched.</summary>
    public const string MessageOpened = "message.opened";

    /// <summary>A recipient followed a tracked link.</summary>
    public const string MessageClicked = "message.clicked";

    /// <summary>Mail arrived for an inbound domain, or a person replied to a return path.</summary>
    public const string InboundReceived = "inbound.received";

    public static IReadOnlyList<string> All { get; } =
    [
        MessageQueued, MessageDelivered, MessageDeferred, MessageBounced, MessageFailed,
        MessageSuppressed, MessageComplained, MessageThrottled, MessageWarning, MessageCanceled,
        MessageUnsubscribed, MessageOpened, MessageClicked, InboundReceived,
    ];

    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);

    /// <summary>"delivered" → "message.delivered".</summary>
    public static string ForMessageEvent(string messageEventType) => "message." + messageEventType;
}
