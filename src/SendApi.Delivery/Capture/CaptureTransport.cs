using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Capture;
using SendApi.Core.Messages;
using SendApi.Delivery.Transport;
using SendApi.Inbound;

namespace SendApi.Delivery.Capture;

/// <summary>
/// Capture mode's last hop: the transaction's exact bytes and envelope go to the capture store
/// instead of an MX, and every recipient is answered as a server that took the message would be,
/// "250 2.0.0 Ok: captured as cap_…", so the message is delivered, with its events and webhooks.
/// </summary>
internal sealed partial class CaptureTransport(
    ICaptureStore store, IOptions<CaptureOptions> options, TimeProvider time, ILogger<CaptureTransport> logger) : IDeliveryTransport
{
    /// <summary>What the timeline and the webhooks show as the MX.</summary>
    public const string Via = "capture";

    public bool UsesDomainLimits => false;

    public async Task<(IReadOnlyList<SmtpReply> Replies, string? Via)> SendAsync(OutboundTransaction transaction, CancellationToken cancellationToken)
    {
        var message = transaction.Body.Message;
        var raw = CapturedBytes.Of(message);
        var (hasText, hasHtml, attachments) = InboundMailReader.Outline(message);
        var now = time.GetUtcNow();
        var captured = new CapturedMessage(
            CaptureIds.New(now),
            transaction.Work.Envelope.AccountId,
            now,
            transaction.Work.Envelope.Id,
            new CapturedEnvelope(transaction.Sender.Address, [.. transaction.Recipients.Select(r => r.Address)]),
            message.From.Mailboxes.Select(Address).FirstOrDefault(),
            [.. message.To.Mailboxes.Select(Address)],
            message.Subject,
            raw.Length,
            hasText,
            hasHtml,
            attachments);

        SmtpReply reply;
        try
        {
            await store.StoreAsync(captured, raw, options.Value.MaxMessages, options.Value.MaxBytes, cancellationToken);
            reply = new SmtpReply(250, "2.0.0", $"Ok: captured as {captured.Id}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // As a receiving server whose disk is full would: try again later. The exception is
            // logged, not put in the reply, which the API and webhooks show to the account.
            LogStoreFailed(logger, ex, transaction.Work.Envelope.Id);
            reply = new SmtpReply(451, "4.3.0", "The capture store is unavailable; the message will be captured on a later attempt");
        }

        return ([.. transaction.Recipients.Select(_ => reply)], Via);
    }

    private static CapturedAddress Address(MailboxAddress mailbox) =>
        new(string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name, mailbox.Address);

    // Log event ids 2500–2599 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2501.
    [LoggerMessage(EventId = 2500, Level = LogLevel.Error, Message = "Message {MessageId}: the capture store failed; the attempt is deferred")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string messageId);
}
