using SendApi.Core.Messages;

namespace SendApi.Api.Features.Messages;

/// <summary>The answer of <c>GET /messages/{id}</c>: overall status, each recipient, and the timeline.</summary>
/// <param name="ScheduledAt">When the message goes (or went) out, if it was sent with <c>scheduled_at</c>; absent otherwise.</param>
public sealed record MessageDetails(
    string Id,
    string Status,
    string From,
    string? Subject,
    string MessageId,
    DateTimeOffset CreatedAt,
    long Size,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<RecipientDetails> Recipients,
    IReadOnlyList<EventDetails> Events,
    DateTimeOffset? ScheduledAt = null)
{
    /// <summary>Sent with a sandbox key: captured (GET /captured), never delivered to its recipients.</summary>
    public bool Sandbox { get; init; }

    internal static MessageDetails Of(StoredMessage message)
    {
        var envelope = message.Envelope;
        return new MessageDetails(
            envelope.Id,
            MessageStatus.Of(message.Recipients),
            envelope.From,
            envelope.Subject,
            envelope.MessageIdHeader,
            envelope.CreatedAt,
            envelope.Size,
            envelope.Tags,
            envelope.Metadata,
            [.. envelope.Recipients.Select((r, i) => RecipientDetails.From(r, message.Recipients[i]))],
            [.. message.Events.Select(EventDetails.From)],
            envelope.ScheduledAt)
        {
            Sandbox = envelope.Sandbox,
        };
    }
}

/// <param name="Type">to, cc or bcc.</param>
/// <param name="Status">queued, sending, delivered, deferred, bounced, failed, suppressed (on the suppression list: never sent) or canceled.</param>
/// <param name="LastResponse">The last SMTP reply about this recipient (or the synthesised one for DNS and connection failures).</param>
public sealed record RecipientDetails(
    string Address,
    string Type,
    string Status,
    int Attempts,
    SmtpResponseDetails? LastResponse,
    DateTimeOffset? NextAttemptAt)
{
    internal static RecipientDetails From(RecipientAddress address, RecipientState state) =>
        new(address.Address,
            address.Kind.ToString().ToLowerInvariant(),
            state.Status.ToString().ToLowerInvariant(),
            state.Attempts,
            SmtpResponseDetails.From(state.LastReply),
            state.Status == RecipientStatus.Deferred ? state.NextAttemptAt : null);
}

public sealed record SmtpResponseDetails(int Code, string? EnhancedCode, string Text)
{
    internal static SmtpResponseDetails? From(SmtpReply? reply) =>
        reply is null ? null : new SmtpResponseDetails(reply.Code, reply.EnhancedCode, reply.Text);
}

/// <param name="Type">queued, delivered, deferred, bounced, failed, complained, suppressed, throttled, warning, canceled, unsubscribed, opened or clicked.</param>
/// <param name="Mx">The MX host, address, port and TLS version that answered, when one did.</param>
/// <param name="DurationMs">How long the SMTP transaction took.</param>
public sealed record EventDetails(string Type, DateTimeOffset At, string? Recipient, string? Detail, int? SmtpCode, string? Mx, long? DurationMs)
{
    internal static EventDetails From(MessageEvent e) => new(e.Type, e.At, e.Recipient, e.Detail, e.Reply?.Code, e.Mx, e.DurationMs)
    {
        Url = e.Url,
        UserAgent = e.UserAgent,
        Ip = e.Ip,
        FirstOpen = e.FirstOpen,
        MachineOpen = e.MachineOpen,
    };

    /// <summary>clicked: the link's original URL.</summary>
    public string? Url { get; init; }

    /// <summary>opened, clicked, unsubscribed: the request's User-Agent.</summary>
    public string? UserAgent { get; init; }

    /// <summary>opened, clicked, unsubscribed: the client's IP address.</summary>
    public string? Ip { get; init; }

    /// <summary>opened: true on the recipient's first recorded open.</summary>
    public bool? FirstOpen { get; init; }

    /// <summary>opened: true when a proxy or scanner fetched the image (e.g. Apple Mail Privacy Protection), not a person.</summary>
    public bool? MachineOpen { get; init; }
}
