using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.Inbound;
using SendApi.Smtp;
using SmtpReply = SendApi.Smtp.SmtpReply;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Port 25, the delivery agent. Two kinds of address are ours and accepted: the return paths
/// (VERP) of messages we still hold, and any address at a configured inbound domain. Everything
/// else is refused at RCPT, so the listener can never relay, whoever connects.
/// What arrives at a return path is classified: bounces and complaints are recorded on the
/// message they are about; a person's reply or an auto-reply is stored as inbound mail of that
/// message's account, linked to it. What arrives at an inbound domain is stored for the domain's
/// account, linked to the message it answers when In-Reply-To or References name one.
/// Nothing is acknowledged (250) before it is stored.
/// </summary>
internal sealed partial class InboundSmtpHandler(
    IMessageStore messages,
    IInboundStore inbound,
    InboundRecorder recorder,
    IOptions<DeliveryOptions> delivery,
    IOptions<InboundOptions> options,
    TimeProvider time,
    ILogger<InboundSmtpHandler> logger) : ISmtpMessageHandler
{
    private static readonly SmtpReply RelayingDenied = new(550, "5.7.1", "Relaying denied");
    private static readonly SmtpReply TryAgain = new(451, "4.3.0", "Temporary failure storing the message; please try again");

    public ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    public ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpIdentity?>(null);

    /// <summary>Any sender: bounces come from the null sender &lt;&gt;, complaints and replies from anyone.</summary>
    public ValueTask<SmtpReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SmtpReply?>(null);

    public async ValueTask<SmtpReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        switch (Resolve(address))
        {
            case Mailbox:
                return null;
            case ReturnPathOf target:
                try
                {
                    // An address of a message we never sent (or no longer hold) is refused like a foreign one.
                    return await messages.FindAsync(target.MessageId, cancellationToken) is null ? RelayingDenied : null;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogStoreFailed(logger, ex);
                    return new SmtpReply(451, "4.3.0", "Temporary failure looking up the recipient; please try again");
                }

            default:
                LogRelayDenied(logger, address, session.Remote?.Address.ToString() ?? "?");
                return RelayingDenied;
        }
    }

    public async ValueTask<SmtpReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
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
            return new SmtpReply(554, "5.6.0", $"The message could not be parsed: {ex.Message}");
        }

        var report = InboundClassifier.Classify(mime, envelope.MailFrom);
        var received = new Received(session, envelope, mime, raw, report, time.GetUtcNow());
        var targets = envelope.Recipients.Select(r => (Address: r, Target: Resolve(r))).ToList();
        try
        {
            // RCPT accepted only our own addresses, so every recipient here is one of the two kinds.
            var returnPaths = targets.Where(t => t.Target is ReturnPathOf).Select(t => (t.Address, Target: (ReturnPathOf)t.Target!)).ToList();
            var mail = new Dictionary<string, Delivery>(StringComparer.Ordinal);
            if (report is Bounce or Complaint)
            {
                foreach (var byMessage in returnPaths.GroupBy(t => t.Target.MessageId))
                {
                    var recipientIndex = byMessage.Count() == 1 ? byMessage.First().Target.RecipientIndex : null;
                    var recorded = await recorder.RecordAsync(byMessage.Key, recipientIndex, report, cancellationToken);
                    LogRecorded(logger, report.GetType().Name.ToLowerInvariant(), byMessage.Key, recorded, received.Client);
                }
            }
            else
            {
                // A person's answer to a return path: mail of the account that sent the message, linked to it.
                foreach (var (address, target) in returnPaths)
                {
                    // Gone since RCPT (its retention ran out): 451, and the retry's RCPT is refused, so the sender learns it.
                    var sent = await messages.FindAsync(target.MessageId, cancellationToken)
                        ?? throw new InvalidOperationException($"Message {target.MessageId} expired during the transaction");
                    Add(mail, sent.Envelope.AccountId, address, target.MessageId);
                }
            }

            foreach (var (address, target) in targets.Where(t => t.Target is Mailbox).Select(t => (t.Address, (Mailbox)t.Target!)))
            {
                Add(mail, target.Account, address, linkedTo: null);
            }

            // One copy per account, whichever of its addresses the transaction named.
            foreach (var (account, delivery) in mail)
            {
                await ReceivedAsync(received, account, delivery, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged, so nothing is lost: the sending MTA keeps the message and retries,
            // and what was stored already is recognised by its fingerprint rather than stored twice.
            LogStoreFailed(logger, ex);
            return TryAgain;
        }

        return new SmtpReply(250, "2.0.0", "Ok");
    }

    private static void Add(Dictionary<string, Delivery> mail, string account, string address, string? linkedTo)
    {
        if (!mail.TryGetValue(account, out var delivery))
        {
            mail[account] = delivery = new Delivery();
        }

        delivery.Recipients.Add(address);
        delivery.LinkedTo ??= linkedTo;
    }

    /// <summary>Stores the mail for one account; a bounce or complaint sent to an inbound domain is also recorded on the message it quotes.</summary>
    private async Task ReceivedAsync(Received received, string account, Delivery delivery, CancellationToken cancellationToken)
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
        if (delivery.LinkedTo is null && original is not null
            && await messages.FindIdByMessageIdHeaderAsync(account, original, cancellationToken) is { } reported)
        {
            var recorded = await recorder.RecordAsync(reported, null, received.Report, cancellationToken);
            LogRecorded(logger, received.Report.GetType().Name.ToLowerInvariant(), reported, recorded, received.Client);
        }

        await StoreAsync(received, account, delivery.Recipients, delivery.LinkedTo, cancellationToken);
    }

    private async Task StoreAsync(Received received, string account, IReadOnlyList<string> rcpts, string? linkedTo, CancellationToken cancellationToken)
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

    private Target? Resolve(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return null;
        }

        var domain = address[(at + 1)..];
        if (delivery.Value.ReturnPathDomain is { Length: > 0 } returnPathDomain
            && domain.Equals(returnPathDomain, StringComparison.OrdinalIgnoreCase)
            && ReturnPath.TryDecode(address, out var messageId, out var recipientIndex))
        {
            return new ReturnPathOf(messageId, recipientIndex);
        }

        return Core.Domains.DomainNames.TryNormalize(domain, out var name) && options.Value.Owners.TryGetValue(name, out var account)
            ? new Mailbox(account)
            : null;
    }

    private abstract record Target;

    private sealed record ReturnPathOf(string MessageId, int? RecipientIndex) : Target;

    private sealed record Mailbox(string Account) : Target;

    /// <summary>One account's share of a transaction: its recipients, and the message a return path among them names.</summary>
    private sealed class Delivery
    {
        public List<string> Recipients { get; } = [];

        public string? LinkedTo { get; set; }
    }

    private sealed record Received(SmtpSessionInfo Session, SmtpEnvelope Envelope, MimeMessage Mime, byte[] Raw, InboundReport Report, DateTimeOffset At)
    {
        public string Client => Session.Remote?.Address.ToString() ?? "?";
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Inbound RCPT {Address} from {Client} refused: neither a return path nor an inbound domain of ours (relaying denied)")]
    private static partial void LogRelayDenied(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Inbound {Kind} for message {MessageId} from {Client} recorded: {Recorded}")]
    private static partial void LogRecorded(ILogger logger, string kind, string messageId, bool recorded, string client);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Inbound mail {InboundId} for account {Account} to {Recipients} from {Client} stored (answers message {InReplyTo}; a retry of it: {Retry})")]
    private static partial void LogStored(ILogger logger, string inboundId, string account, string recipients, string inReplyTo, string client, bool retry);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Error, Message = "Storing inbound mail failed; the client was told to retry (451)")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
