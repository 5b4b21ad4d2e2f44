using Microsoft.Extensions.Logging;
using SendApi.Core.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// Writes what a recipient did with a message onto it, through the same step as a late bounce
/// (<see cref="IMessageStore.RecordAsync"/>), so the event reaches the timeline, the counters and
/// the webhook outbox in one atomic write, in both storage modes:
/// <list type="bullet">
/// <item>unsubscribe: the address goes on the account's suppression list (reason "unsubscribe")
/// first, since that is what matters and it is idempotent, then one <c>unsubscribed</c> event per
/// recipient, however often the link is used;</item>
/// <item>open and click: an <c>opened</c> / <c>clicked</c> event, the open flagged when it is the
/// recipient's first or a machine's (<see cref="MachineOpens"/>).</item>
/// </list>
/// A token is acted on only for a message still kept (its recipient's address is on it); one whose
/// message is gone is refused (unsubscribe) or not recorded (open, click).
/// </summary>
internal sealed partial class EngagementRecorder(IMessageStore messages, ISuppressionStore suppressions, TimeProvider time, ILogger<EngagementRecorder> logger)
{
    /// <summary>
    /// Opens and clicks recorded per message, at most: anyone holding a link can fetch it in a loop,
    /// and a timeline must not grow without bound. Past it, the pixel and redirect still answer.
    /// </summary>
    public const int MaxEngagementEvents = 100;

    /// <returns>False when the token's message is no longer kept, or has no such recipient.</returns>
    public async Task<bool> UnsubscribeAsync(TrackingToken token, Visitor visitor, string how, CancellationToken cancellationToken)
    {
        if (await FindAsync(token, cancellationToken) is not ({ } message, { } address))
        {
            return false;
        }

        var now = time.GetUtcNow();
        var envelope = message.Envelope;
        var added = await suppressions.AddAsync(envelope.AccountId,
            new Suppression(SuppressionAddresses.Normalize(address), SuppressionReasons.Unsubscribe, how, envelope.Id, now), cancellationToken);

        // Idempotent: a second click, a retried POST, the page after the mailto.
        if (!message.Events.Any(e => e.Type == MessageEventTypes.Unsubscribed && e.Recipient == address))
        {
            await messages.RecordAsync(envelope.Id, [], [new MessageEvent(MessageEventTypes.Unsubscribed, now, address, how)
            {
                UserAgent = visitor.UserAgent,
                Ip = visitor.Ip,
            }], cancellationToken);
            LogUnsubscribed(logger, envelope.Id, token.Recipient, envelope.AccountId, how, added.Added);
        }

        return true;
    }

    public async Task RecordOpenAsync(TrackingToken token, Visitor visitor, CancellationToken cancellationToken)
    {
        if (await FindAsync(token, cancellationToken) is not ({ } message, { } address) || Saturated(message))
        {
            return;
        }

        var machine = MachineOpens.Reason(visitor.UserAgent, visitor.Address);
        var first = !message.Events.Any(e => e.Type == MessageEventTypes.Opened && e.Recipient == address);
        await messages.RecordAsync(message.Envelope.Id, [], [new MessageEvent(MessageEventTypes.Opened, time.GetUtcNow(), address, machine)
        {
            UserAgent = visitor.UserAgent,
            Ip = visitor.Ip,
            FirstOpen = first,
            MachineOpen = machine is not null,
        }], cancellationToken);
    }

    public async Task RecordClickAsync(TrackingToken token, Visitor visitor, CancellationToken cancellationToken)
    {
        if (await FindAsync(token, cancellationToken) is not ({ } message, { } address) || Saturated(message))
        {
            return;
        }

        await messages.RecordAsync(message.Envelope.Id, [], [new MessageEvent(MessageEventTypes.Clicked, time.GetUtcNow(), address, $"link {token.Link}")
        {
            Url = token.Url,
            UserAgent = visitor.UserAgent,
            Ip = visitor.Ip,
        }], cancellationToken);
    }

    /// <summary>The token's message and its recipient's address, while the message is kept.</summary>
    private async Task<(StoredMessage Message, string Address)?> FindAsync(TrackingToken token, CancellationToken cancellationToken) =>
        await messages.FindAsync(token.MessageId, cancellationToken) is { } message && token.Recipient < message.Envelope.Recipients.Count
            ? (message, message.Envelope.Recipients[token.Recipient].Address)
            : null;

    private static bool Saturated(StoredMessage message) =>
        message.Events.Count(e => e.Type is MessageEventTypes.Opened or MessageEventTypes.Clicked) >= MaxEngagementEvents;

    // Log event ids 1600–1699 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1601.
    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Message {MessageId}: recipient {Recipient} of account {Account} unsubscribed ({How}); newly suppressed: {Added}")]
    private static partial void LogUnsubscribed(ILogger logger, string messageId, int recipient, string account, string how, bool added);
}
