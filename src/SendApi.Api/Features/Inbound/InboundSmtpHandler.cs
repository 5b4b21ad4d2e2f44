using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.Inbound;
using SendApi.Smtp;
using SmtpReply = SendApi.Smtp.SmtpReply;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Port 25. Only our own return-path addresses (VERP) of messages we still hold are accepted, so
/// the listener can never relay, whoever connects. What arrives is classified (bounce, complaint,
/// auto-reply, reply) and bounces and complaints are recorded on the message they are about.
/// </summary>
internal sealed partial class InboundSmtpHandler(
    IMessageStore messages,
    InboundRecorder recorder,
    IOptions<DeliveryOptions> delivery,
    ILogger<InboundSmtpHandler> logger) : ISmtpMessageHandler
{
    private static readonly SmtpReply RelayingDenied = new(550, "5.7.1", "Relaying denied");

    public ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    public ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    /// <summary>Any sender: bounces come from the null sender &lt;&gt;, complaints and replies from anyone.</summary>
    public ValueTask<SmtpReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpReply?>(null);

    public async ValueTask<SmtpReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        if (!IsReturnPath(address, out var messageId, out _))
        {
            LogRelayDenied(logger, address, session.Remote?.Address.ToString() ?? "?");
            return RelayingDenied;
        }

        try
        {
            // An address of a message we never sent (or no longer hold) is refused like a foreign one.
            return await messages.FindAsync(messageId, cancellationToken) is null ? RelayingDenied : null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(logger, ex);
            return new SmtpReply(451, "4.3.0", "Temporary failure looking up the recipient; please try again");
        }
    }

    public async ValueTask<SmtpReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        MimeMessage mime;
        try
        {
            mime = await MimeMessage.LoadAsync(message, cancellationToken);
        }
        catch (FormatException ex)
        {
            return new SmtpReply(554, "5.6.0", $"The message could not be parsed: {ex.Message}");
        }

        var report = InboundClassifier.Classify(mime, envelope.MailFrom);
        var client = session.Remote?.Address.ToString() ?? "?";
        if (report is AutoReply or Reply)
        {
            // Replies to a return path are not stored yet (inbound domains come later): accepted so the sender stops retrying.
            LogDropped(logger, report is AutoReply auto ? $"auto-reply ({auto.Reason})" : "reply", string.Join(", ", envelope.Recipients), client);
            return new SmtpReply(250, "2.0.0", "Ok");
        }

        try
        {
            // RCPT accepted only decodable return paths, so every recipient here names a message.
            foreach (var (messageId, recipientIndex) in Targets(envelope.Recipients))
            {
                var recorded = await recorder.RecordAsync(messageId, recipientIndex, report, cancellationToken);
                LogRecorded(logger, report.GetType().Name.ToLowerInvariant(), messageId, recorded, client);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged, so nothing is lost: the reporting MTA keeps the report and retries.
            LogStoreFailed(logger, ex);
            return new SmtpReply(451, "4.3.0", "Temporary failure recording the report; please try again");
        }

        return new SmtpReply(250, "2.0.0", "Ok");
    }

    private IEnumerable<(string MessageId, int? RecipientIndex)> Targets(IReadOnlyList<string> recipients) =>
        recipients
            .Select(r => IsReturnPath(r, out var id, out var index) ? (id, index) : default((string, int?)?))
            .OfType<(string, int?)>()
            .Distinct();

    private bool IsReturnPath(string address, out string messageId, out int? recipientIndex)
    {
        messageId = "";
        recipientIndex = null;
        var domain = delivery.Value.ReturnPathDomain;
        var at = address.LastIndexOf('@');
        return domain is { Length: > 0 }
            && at > 0
            && address[(at + 1)..].Equals(domain, StringComparison.OrdinalIgnoreCase)
            && ReturnPath.TryDecode(address, out messageId, out recipientIndex);
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Inbound RCPT {Address} from {Client} refused: not a return path of ours (relaying denied)")]
    private static partial void LogRelayDenied(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Inbound {Kind} for message {MessageId} from {Client} recorded: {Recorded}")]
    private static partial void LogRecorded(ILogger logger, string kind, string messageId, bool recorded, string client);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Inbound {Kind} to {Recipients} from {Client} accepted and dropped: replies are not stored yet")]
    private static partial void LogDropped(ILogger logger, string kind, string recipients, string client);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Error, Message = "Recording inbound mail failed; the client was told to retry (451)")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
