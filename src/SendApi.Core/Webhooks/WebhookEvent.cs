using SendApi.Core.Inbound;
using SendApi.Core.Messages;

namespace SendApi.Core.Webhooks;

/// <summary>
/// An event as webhooks carry it: <c>{"type", "created_at", "data"}</c>. <paramref name="Id"/> is
/// the outbox entry's id, unique per event.
/// </summary>
/// <param name="Data">
/// <see cref="MessageEventData"/> for <c>message.*</c> events, the <see cref="InboundEmail"/> for
/// <c>inbound.received</c>. Serialized by its runtime type.
/// </param>
public sealed record WebhookEvent(string Id, string AccountId, string Type, DateTimeOffset CreatedAt, object Data)
{
    /// <summary>A timeline event of a message, with the message's tags and metadata.</summary>
    public static WebhookEvent ForMessage(string id, MessageEnvelope envelope, MessageEvent e) =>
        new(id, envelope.AccountId, WebhookEventTypes.ForMessageEvent(e.Type), e.At, new MessageEventData(
            envelope.Id,
            e.Type,
            e.Recipient,
            e.Reply?.Code,
            e.Reply?.EnhancedCode,
            e.Reply?.ToString(),
            e.Mx,
            e.Detail,
            envelope.Tags,
            envelope.Metadata)
        {
            Sandbox = envelope.Sandbox ? true : null,
            Url = e.Url,
            UserAgent = e.UserAgent,
            Ip = e.Ip,
            FirstOpen = e.FirstOpen,
            MachineOpen = e.MachineOpen,
        });

    /// <summary>Mail received for the account: the parsed message as <c>GET /inbound/{id}</c> shows it.</summary>
    public static WebhookEvent ForInbound(string id, InboundEmail email) =>
        new(id, email.AccountId, WebhookEventTypes.InboundReceived, email.ReceivedAt, email);
}

/// <param name="Status">The event's type without its prefix: queued, delivered, deferred, failed, …</param>
/// <param name="SmtpResponse">The whole reply, e.g. "250 2.0.0 Ok: queued as 1234".</param>
/// <param name="Mx">The MX host, address, port and TLS version that answered.</param>
public sealed record MessageEventData(
    string MessageId,
    string Status,
    string? Recipient,
    int? SmtpCode,
    string? SmtpEnhancedCode,
    string? SmtpResponse,
    string? Mx,
    string? Detail,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>True when a sandbox key sent the message (it was captured, not delivered); absent otherwise.</summary>
    public bool? Sandbox { get; init; }

    /// <summary>message.clicked: the link's original URL.</summary>
    public string? Url { get; init; }

    /// <summary>message.opened, message.clicked, message.unsubscribed: the request's User-Agent.</summary>
    public string? UserAgent { get; init; }

    /// <summary>message.opened, message.clicked, message.unsubscribed: the client's IP address.</summary>
    public string? Ip { get; init; }

    /// <summary>message.opened: true on the recipient's first recorded open.</summary>
    public bool? FirstOpen { get; init; }

    /// <summary>message.opened: true when a proxy or scanner fetched the image (e.g. Apple Mail Privacy Protection), not a person.</summary>
    public bool? MachineOpen { get; init; }
}
