using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Diagnostics;
using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Inbound;
using SendApi.Smtp;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Port 25, the delivery agent. Four kinds of address are ours and accepted (see
/// <see cref="InboundAddresses"/>): the signed return paths (VERP) of messages we still hold, their
/// mailto unsubscribe addresses, any address at a configured inbound domain, and the postmaster. Everything else is refused at
/// RCPT, so the listener can never relay, whoever connects.
/// What arrives at a return path is classified. A DSN from the null sender or a complaint is
/// recorded on the message it came back for, when it speaks of a recipient that return path was
/// given for; anything else there (a person's reply, an auto-reply, a "bounce" from a real
/// sender, a report that does not match) is stored as inbound mail of that message's account,
/// linked to it, and acts on nothing. What arrives at an inbound domain is stored for the
/// domain's account, linked to the message it answers when In-Reply-To or References name one.
/// Mail to an unsubscribe address unsubscribes its recipient (as <c>POST /u/{token}</c> does) and is
/// not stored: its content says nothing more.
/// Nothing is acknowledged (250) before it is stored, as durably as <c>Storage__Durability</c> says.
/// </summary>
internal sealed partial class InboundSmtpHandler(
    IMessageStore messages,
    IInboundStore inbound,
    IWriteDurability durability,
    InboundRecorder recorder,
    InboundAddresses addresses,
    EngagementRecorder engagement,
    IOptions<InboundOptions> options,
    TimeProvider time,
    SendApiMetrics metrics,
    ILogger<InboundSmtpHandler> logger) : ISmtpMessageHandler
{
    private static readonly SmtpServerReply RelayingDenied = new(550, "5.7.1", "Relaying denied");
    private static readonly SmtpServerReply NoSuchMailbox = new(550, "5.1.1", "No such mailbox here");
    private static readonly SmtpServerReply TryAgain = new(451, "4.3.0", "Temporary failure storing the message; please try again");

    public ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    public ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    /// <summary>Any sender: bounces come from the null sender &lt;&gt;, complaints and replies from anyone.</summary>
    public ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpServerReply?>(null);

    public async ValueTask<SmtpServerReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        InboundTarget target;
        try
        {
            target = await addresses.ResolveAsync(address, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(logger, ex);
            return new SmtpServerReply(451, "4.3.0", "Temporary failure looking up the recipient; please try again");
        }

        switch (target)
        {
            case MailboxTarget or ReturnPathTarget or UnsubscribeTarget:
                return null;
            case UnknownMailboxTarget:
                // Ours, but no such return path: invented, tampered with, or of a message we no longer hold.
                LogUnknownMailbox(logger, address, session.Remote?.Address.ToString() ?? "?");
                return NoSuchMailbox;
            default:
                LogRelayDenied(logger, address, session.Remote?.Address.ToString() ?? "?");
                return RelayingDenied;
        }
    }

    public async ValueTask<SmtpServerReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        // Kept whole: it is stored as received, and parsed from the same bytes.
        byte[] raw;
        using (var buffer = new MemoryStream())
        {
            await message.CopyToAsync(buffer, cancellationToken);
            raw = buffer.ToArray();
        }

        MimeMessage mime;
        try
        {
            mime = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        }
        catch (FormatException ex)
        {
            return new SmtpServerReply(554, "5.6.0", $"The message could not be parsed: {ex.Message}");
        }

        var received = new Received(session, envelope, mime, raw, Classify(mime, envelope.MailFrom), time.GetUtcNow());
        var accounts = new SortedSet<string>(StringComparer.Ordinal);
        string? matched = null;
        var atReturnPath = false;
        var unsubscribed = 0;
        var mark = durability.Mark();
        try
        {
            var mail = new Dictionary<string, AccountCopy>(StringComparer.Ordinal);
            var returnPaths = new List<ReturnPathTarget>();
            foreach (var recipient in envelope.Recipients)
            {
                switch (await addresses.ResolveAsync(recipient, cancellationToken))
                {
                    case MailboxTarget mailbox:
                        Add(mail, mailbox.Account, mailbox.Address, linkedTo: null);
                        break;
                    case ReturnPathTarget returnPath:
                        returnPaths.Add(returnPath);
                        break;
                    case UnsubscribeTarget unsubscribe:
                        // A message gone since RCPT cannot be acted on; the sender was told 250 at RCPT already.
                        if (await engagement.UnsubscribeAsync(unsubscribe.Token, Visitor.Mail, "mailto (List-Unsubscribe)", cancellationToken))
                        {
                            matched ??= unsubscribe.Token.MessageId;
                            unsubscribed++;
                        }

                        break;
                    default:
                        // Accepted at RCPT, gone since (its message's retention ran out): 451, and
                        // the retry's RCPT is refused, so the sender learns it.
                        throw new InvalidOperationException($"{recipient} is no longer a recipient of ours");
                }
            }

            atReturnPath = returnPaths.Count > 0;
            foreach (var byMessage in returnPaths.GroupBy(t => t.Message.Envelope.Id))
            {
                var sent = byMessage.First().Message.Envelope;
                accounts.Add(sent.AccountId);
                matched ??= sent.Id;
                if (!await ActedOnAsync(received, sent.Id, ReportScope.Union(byMessage.Select(t => t.Scope)), cancellationToken))
                {
                    // A person's answer, or a report not acted on: mail of the account that sent the message, linked to it.
                    foreach (var target in byMessage)
                    {
                        Add(mail, sent.AccountId, target.Address, sent.Id);
                    }
                }
            }

            // One copy per account, whichever of its addresses the transaction named.
            foreach (var (account, copy) in mail)
            {
                accounts.Add(account);
                var answered = await ReceivedAsync(received, account, copy, cancellationToken);
                matched ??= answered;
            }

            await durability.EnsureAsync(mark, cancellationToken);
        }
        catch (StorageNotDurableException)
        {
            // Stored, not confirmed durable (logged once by the store): the sender retries, and the
            // retry is recognised: stored mail by its fingerprint, a report acted on by its events
            // being on the timeline already (InboundRecorder).
            return TryAgain;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged, so nothing is lost: the sending MTA keeps the message and retries,
            // and what was stored already is recognised (as above) rather than stored twice.
            LogStoreFailed(logger, ex);
            return TryAgain;
        }

        var kind = unsubscribed > 0 && accounts.Count == 0 ? "unsubscribe" : KindOf(received.Report, atReturnPath);
        metrics.InboundMessage(kind);
        LogInbound(logger, kind, string.Join(", ", accounts), matched ?? "-", received.Client);
        return new SmtpServerReply(250, "2.0.0", "Ok");
    }

    /// <summary>
    /// Records a bounce or complaint that came to a return path; false when it is not one to act
    /// on and is to be stored as mail instead. A DSN counts only from the null sender (RFC 3464
    /// §2, RFC 5321 §4.5.5): a "bounce" from a real address is someone's message about one.
    /// </summary>
    private async Task<bool> ActedOnAsync(Received received, string messageId, ReportScope scope, CancellationToken cancellationToken)
    {
        var kind = received.Report.GetType().Name.ToLowerInvariant();
        switch (received.Report)
        {
            case Bounce when received.Envelope.MailFrom.Length > 0:
                LogNotActedOn(logger, kind, messageId, "it comes from a sender, not from the null sender <>", received.Client);
                return false;
            case Bounce or Complaint:
                var outcome = await recorder.RecordAsync(messageId, scope, received.Report, cancellationToken);
                if (outcome == ReportOutcome.NotAboutThisMessage)
                {
                    LogNotActedOn(logger, kind, messageId, "it speaks of a recipient this return path was not given for, or of another message", received.Client);
                    return false;
                }

                LogRecorded(logger, kind, messageId, outcome, received.Client);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The metric's and the log's word for what came in: a report by its format, else a reply (to a return path) or mail (to an inbound domain).</summary>
    private static string KindOf(InboundReport report, bool atReturnPath) => report switch
    {
        Bounce => "dsn",
        Complaint => "arf",
        AutoReply => "auto_reply",
        _ => atReturnPath ? "reply" : "inbound",
    };

    /// <summary>What the message is; a message the readers cannot make sense of is a person's, and acts on nothing.</summary>
    private InboundReport Classify(MimeMessage mime, string mailFrom)
    {
        try
        {
            return InboundClassifier.Classify(mime, mailFrom);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUnclassified(logger, ex);
            return new Reply();
        }
    }

    private static void Add(Dictionary<string, AccountCopy> mail, string account, string address, string? linkedTo)
    {
        if (!mail.TryGetValue(account, out var copy))
        {
            mail[account] = copy = new AccountCopy();
        }

        copy.Recipients.Add(address);
        copy.LinkedTo ??= linkedTo;
    }

    /// <summary>Stores the mail for one account; a bounce or complaint sent to an inbound domain is also recorded on the message it quotes.</summary>
    /// <returns>The id of our message it was matched with (reported on, or answered), if any.</returns>
    private async Task<string?> ReceivedAsync(Received received, string account, AccountCopy copy, CancellationToken cancellationToken)
    {
        // A receiver that ignores the return path sends its report to the From address; when that
        // is an inbound domain the report still finds its message. Only a null-sender DSN counts
        // (RFC 5321 §4.5.5), so that a correspondent cannot bounce co-recipients with a forged one.
        var original = received.Report switch
        {
            Bounce bounce when received.Envelope.MailFrom.Length == 0 => bounce.OriginalMessageId,
            Complaint complaint => complaint.OriginalMessageId,
            _ => null,
        };
        if (copy.LinkedTo is null && original is not null
            && await messages.FindIdByMessageIdHeaderAsync(account, original, cancellationToken) is { } reported)
        {
            var outcome = await recorder.RecordAsync(reported, ReportScope.AnyRecipient, received.Report, cancellationToken);
            LogRecorded(logger, received.Report.GetType().Name.ToLowerInvariant(), reported, outcome, received.Client);
            await StoreAsync(received, account, copy.Recipients, copy.LinkedTo, cancellationToken);
            return reported;
        }

        return await StoreAsync(received, account, copy.Recipients, copy.LinkedTo, cancellationToken);
    }

    /// <returns>Our message it answers, if any.</returns>
    private async Task<string?> StoreAsync(Received received, string account, IReadOnlyList<string> rcpts, string? linkedTo, CancellationToken cancellationToken)
    {
        var session = received.Session;
        var email = InboundMailReader.Read(
            received.Mime,
            InboundIds.New(received.At),
            account,
            received.At,
            new InboundEnvelope(received.Envelope.MailFrom, rcpts, session.Remote?.Address.ToString(), session.HeloName, session.IsTls),
            received.Raw.Length,
            autoReply: received.Report is AutoReply);
        email = email with { InReplyToMessageId = linkedTo ?? await AnsweredAsync(account, email, cancellationToken) };
        var fingerprint = InboundDedupe.Fingerprint(account, rcpts, received.Raw);
        var stored = await inbound.StoreAsync(email, received.Raw, fingerprint, options.Value.RetentionValue, cancellationToken);
        LogStored(logger, stored, account, string.Join(", ", rcpts), email.InReplyToMessageId ?? "-", received.Client, stored != email.Id);
        return email.InReplyToMessageId;
    }

    /// <summary>Our message this one answers: the nearest of In-Reply-To and References that is one of the account's.</summary>
    private async Task<string?> AnsweredAsync(string account, InboundEmail email, CancellationToken cancellationToken)
    {
        // Bounded: a long thread lists many ids, and only the nearest few are worth a lookup.
        foreach (var referenced in InboundMailReader.ReferencedIds(email).Take(5))
        {
            if (await messages.FindIdByMessageIdHeaderAsync(account, referenced, cancellationToken) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>One account's share of a transaction: its recipients, and the message a return path among them names.</summary>
    private sealed class AccountCopy
    {
        public List<string> Recipients { get; } = [];

        public string? LinkedTo { get; set; }
    }

    private sealed record Received(SmtpSessionInfo Session, SmtpEnvelope Envelope, MimeMessage Mime, byte[] Raw, InboundReport Report, DateTimeOffset At)
    {
        public string Client => Session.Remote?.Address.ToString() ?? "?";
    }

    // Log event ids 1200–1299 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1208.
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Inbound RCPT {Address} from {Client} refused: neither a return path nor an inbound domain of ours (relaying denied)")]
    private static partial void LogRelayDenied(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Inbound {Kind} for message {MessageId} from {Client}: {Outcome}")]
    private static partial void LogRecorded(ILogger logger, string kind, string messageId, ReportOutcome outcome, string client);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Inbound mail {InboundId} for account {Account} to {Recipients} from {Client} stored (answers message {InReplyTo}; a retry of it: {Retry})")]
    private static partial void LogStored(ILogger logger, string inboundId, string account, string recipients, string inReplyTo, string client, bool retry);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "Storing inbound mail failed; the client was told to retry (451)")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Inbound RCPT {Address} from {Client} refused: no such return path (invented, tampered with, or of a message no longer held)")]
    private static partial void LogUnknownMailbox(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Inbound {Kind} for message {MessageId} from {Client} not acted on, stored as mail: {Why}")]
    private static partial void LogNotActedOn(ILogger logger, string kind, string messageId, string why, string client);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "An inbound message could not be classified; it is stored as mail and acts on nothing")]
    private static partial void LogUnclassified(ILogger logger, Exception exception);

    // One line per message received (after the ones above about what it did), with every field named, for log shippers.
    [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "Inbound message: {Kind} from {Client} for account {Account}, our message {MessageId}")]
    private static partial void LogInbound(ILogger logger, string kind, string account, string messageId, string client);
}
