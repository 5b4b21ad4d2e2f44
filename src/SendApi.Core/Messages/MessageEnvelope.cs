namespace SendApi.Core.Messages;

/// <summary>The part of an accepted message that never changes after it was accepted.</summary>
/// <param name="Id">Our id, returned to the client and used in the API.</param>
/// <param name="AccountId">The account of the API key that submitted it; only that account sees it.</param>
/// <param name="Sender">The envelope sender (MAIL FROM), a bare address.</param>
/// <param name="From">The From header as submitted, e.g. <c>Acme &lt;hello@acme.test&gt;</c>.</param>
/// <param name="MessageIdHeader">The Message-ID header value, without angle brackets.</param>
/// <param name="Size">Size in octets of the MIME message we deliver.</param>
/// <param name="ScheduledAt">When the client asked it to go out (<c>scheduled_at</c>); null to go out at once.</param>
public sealed record MessageEnvelope(
    string Id,
    string AccountId,
    string Sender,
    string From,
    string? Subject,
    IReadOnlyList<RecipientAddress> Recipients,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset CreatedAt,
    string MessageIdHeader,
    long Size,
    DateTimeOffset? ScheduledAt = null)
{
    /// <summary>When the message was first due: its scheduled time, or its acceptance. Its age for the retry policy counts from here.</summary>
    public DateTimeOffset FirstDueAt => ScheduledAt ?? CreatedAt;

    /// <summary>The API key that sent it (null on messages accepted before keys were recorded): a <c>send</c>-scoped key reads only its own.</summary>
    public string? KeyId { get; init; }

    /// <summary>Sent with a sandbox key: captured instead of delivered, and said so in the API and webhooks.</summary>
    public bool Sandbox { get; init; }
}

/// <summary>An envelope recipient: a bare address and how it was addressed.</summary>
public sealed record RecipientAddress(string Address, RecipientKind Kind)
{
    /// <summary>The domain part in lower case, which is what MX lookup and grouping use.</summary>
    public string Domain => Address[(Address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}

/// <summary>The mutable delivery state of one recipient, kept per recipient index.</summary>
public sealed record RecipientState(
    RecipientStatus Status,
    int Attempts,
    SmtpReply? LastReply,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset UpdatedAt)
{
    public static RecipientState Queued(DateTimeOffset at) => new(RecipientStatus.Queued, 0, null, at, at);

    /// <summary>Queued at <paramref name="at"/>, first due at <paramref name="due"/> (a scheduled message).</summary>
    public static RecipientState Queued(DateTimeOffset at, DateTimeOffset due) => new(RecipientStatus.Queued, 0, null, due, at);
}

/// <summary>One entry in a message's timeline; also what webhooks will carry.</summary>
/// <param name="Type">One of <see cref="MessageEventTypes"/>.</param>
/// <param name="Mx">The MX host, address, port and TLS version that answered, when one did.</param>
/// <param name="DurationMs">How long the SMTP transaction took, when there was one.</param>
public sealed record MessageEvent(
    string Type,
    DateTimeOffset At,
    string? Recipient,
    string? Detail,
    SmtpReply? Reply = null,
    string? Mx = null,
    long? DurationMs = null)
{
    /// <summary>For <c>clicked</c>: the link's original URL, where the click was sent.</summary>
    public string? Url { get; init; }

    /// <summary>For <c>opened</c>, <c>clicked</c> and <c>unsubscribed</c>: the User-Agent of the request, cut to 512 characters.</summary>
    public string? UserAgent { get; init; }

    /// <summary>For <c>opened</c>, <c>clicked</c> and <c>unsubscribed</c>: the client's IP address as the server saw it.</summary>
    public string? Ip { get; init; }

    /// <summary>For <c>opened</c>: true on the recipient's first recorded open.</summary>
    public bool? FirstOpen { get; init; }

    /// <summary>
    /// For <c>opened</c>: true when the fetch looks like a machine's, not a person's (Apple Mail
    /// Privacy Protection's proxy prefetching every image, a security scanner). Flagged, not hidden.
    /// </summary>
    public bool? MachineOpen { get; init; }
}

public static class MessageEventTypes
{
    public const string Queued = "queued";
    public const string Delivered = "delivered";
    public const string Deferred = "deferred";
    public const string Bounced = "bounced";
    public const string Failed = "failed";

    /// <summary>The recipient reported the message as unwanted (an ARF feedback report).</summary>
    public const string Complained = "complained";

    /// <summary>The recipient was on the account's suppression list; the detail gives the list's reason.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>A receiver asked us to slow down and the domain's limits were lowered for a while.</summary>
    public const string Throttled = "throttled";

    /// <summary>
    /// Accepted and sent, but likely to be filtered as spam; the detail says why (e.g. the From
    /// domain's DNS records are not verified, naming the failing records).
    /// </summary>
    public const string Warning = "warning";

    /// <summary>The recipient was canceled before it was attempted (again): by its sender through the API, or by an operator.</summary>
    public const string Canceled = "canceled";

    /// <summary>The recipient asked to receive no more mail (RFC 8058 one-click, the page, or the mailto address); they are now suppressed.</summary>
    public const string Unsubscribed = "unsubscribed";

    /// <summary>The open-tracking image was fetched (<c>track_opens</c>).</summary>
    public const string Opened = "opened";

    /// <summary>A tracked link was followed (<c>track_clicks</c>).</summary>
    public const string Clicked = "clicked";
}

/// <summary>A message as the status API shows it: envelope, per-recipient state, timeline.</summary>
public sealed record StoredMessage(
    MessageEnvelope Envelope,
    IReadOnlyList<RecipientState> Recipients,
    IReadOnlyList<MessageEvent> Events);
