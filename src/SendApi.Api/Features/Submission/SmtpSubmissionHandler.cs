using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Suppressions;
using SendApi.Core.Accounts;
using SendApi.Core.Messages;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>
/// SMTP submission feeding the same pipeline as <c>POST /messages</c>: the API key is the AUTH
/// password (or the trusted-network key), the envelope recipients are the ones delivered, and the
/// headers that carry SendApi options (tags, metadata, idempotency) are read and removed, as is Bcc.
/// </summary>
internal sealed partial class SmtpSubmissionHandler(
    IApiKeyStore keys,
    SuppressionGate gate,
    IDeliverySignal delivery,
    IOptions<MessagesOptions> messages,
    IOptions<SmtpOptions> smtp,
    SmtpServerSettings server,
    TimeProvider time,
    ILogger<SmtpSubmissionHandler> logger) : ISmtpMessageHandler
{
    public async ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken) =>
        await keys.FindBySecretAsync(password, cancellationToken) is { } key ? new SmtpIdentity(key.Id, key) : null;

    public async ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        var options = SubmissionListeners.For(smtp.Value, listener);
        if (remote is null || string.IsNullOrEmpty(options.TrustedApiKey))
        {
            return null;
        }

        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        if (!options.TrustedNetworkList.Any(network => network.Contains(address)))
        {
            return null;
        }

        if (await keys.FindBySecretAsync(options.TrustedApiKey, cancellationToken) is { } key)
        {
            return new SmtpIdentity(key.Id, key);
        }

        LogTrustedKeyUnknown(logger, listener.Name);
        return null;
    }

    public ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        if (address.Length == 0)
        {
            return ValueTask.FromResult<SmtpServerReply?>(new SmtpServerReply(553, "5.1.7", "The null sender <> is not accepted for submission; use your sending address"));
        }

        return ValueTask.FromResult(EmailAddresses.TryParse(address, out _, out var error)
            ? null
            : new SmtpServerReply(553, "5.1.7", $"Sender address is not valid: {error}"));
    }

    public ValueTask<SmtpServerReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        ValueTask.FromResult(EmailAddresses.TryParse(address, out _, out var error)
            ? null
            : new SmtpServerReply(553, "5.1.3", $"Recipient address is not valid: {error}"));

    public async ValueTask<SmtpServerReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        if (session.Identity?.State is not ApiKey key)
        {
            return new SmtpServerReply(530, "5.7.0", "Authentication required");
        }

        MimeMessage mime;
        try
        {
            mime = await MimeMessage.LoadAsync(message, cancellationToken);
        }
        catch (FormatException ex)
        {
            return new SmtpServerReply(554, "5.6.0", $"The message could not be parsed: {ex.Message}");
        }

        if (!SubmissionHeaders.TryTake(mime, out var options, out var error))
        {
            return new SmtpServerReply(550, "5.6.0", error);
        }

        var id = MessageIds.New();
        var now = time.GetUtcNow();
        Prepare(mime, session, id, now);

        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await mime.WriteToAsync(FormatOptions.Default, buffer, cancellationToken);
            bytes = buffer.ToArray();
        }

        if (bytes.LongLength > messages.Value.MaxSizeBytes)
        {
            return new SmtpServerReply(552, "5.3.4", $"Message size exceeds fixed maximum message size ({messages.Value.MaxSizeBytes} octets)");
        }

        var stored = new MessageEnvelope(
            id,
            key.AccountId,
            Sender: envelope.MailFrom,
            From: mime.From.Mailboxes.FirstOrDefault()?.ToString() ?? envelope.MailFrom,
            Subject: mime.Subject,
            Recipients(mime, envelope.Recipients),
            options.Tags,
            options.Metadata,
            now,
            mime.MessageId!,
            bytes.LongLength);
        try
        {
            var accepted = await gate.AcceptAsync(new NewMessage(stored, bytes, options.IdempotencyKey), cancellationToken);
            if (!accepted.Replayed)
            {
                delivery.Notify();
            }

            LogAccepted(logger, accepted.Id, key.Id, envelope.Recipients.Count, session.Remote?.Address.ToString() ?? "?");

            // SMTP has no per-recipient answer after DATA, so the reply text is where a client
            // (or its log) can learn that some recipients will get nothing.
            var suppressed = accepted.Suppressed.Count switch
            {
                0 => "",
                1 => " (1 recipient suppressed)",
                var n => $" ({n} recipients suppressed)",
            };
            return new SmtpServerReply(250, "2.0.0", $"Ok: queued as {accepted.Id}{suppressed}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged, so nothing is lost: the client keeps the message and retries.
            LogStoreFailed(logger, ex);
            return new SmtpServerReply(451, "4.3.0", "Temporary failure storing the message; please try again");
        }
    }

    /// <summary>Adds the trace header and, when the client left them out, Message-ID and Date.</summary>
    private void Prepare(MimeMessage mime, SmtpSessionInfo session, string id, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(mime.MessageId))
        {
            mime.MessageId = $"{id}@{messages.Value.MessageIdDomain}";
        }

        if (!mime.Headers.Contains(HeaderId.Date))
        {
            mime.Date = now;
        }

        // RFC 5321 §4.4: every SMTP server that accepts a message adds a Received line; the
        // protocol names are RFC 3848's (S = TLS, A = authenticated).
        var protocol = "ESMTP" + (session.IsTls ? "S" : "") + (session.Identity is not null ? "A" : "");
        var from = session.Remote is { } remote ? $"{session.HeloName ?? "unknown"} ([{remote.Address}])" : session.HeloName ?? "unknown";
        mime.Headers.Insert(0, new Header("Received",
            $"from {from} by {server.Hostname} (SendApi) with {protocol} id {id}; {DateUtils.FormatDate(now)}"));
    }

    /// <summary>Envelope recipients, each once; To/Cc when the headers name them, Bcc otherwise.</summary>
    private static List<RecipientAddress> Recipients(MimeMessage mime, IReadOnlyList<string> envelope)
    {
        var to = mime.To.Mailboxes.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var cc = mime.Cc.Mailboxes.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return [.. envelope.Where(seen.Add).Select(address => new RecipientAddress(address,
            to.Contains(address) ? RecipientKind.To : cc.Contains(address) ? RecipientKind.Cc : RecipientKind.Bcc))];
    }

    // Log event ids 1100–1199 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1104.
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "SMTP submission {MessageId} accepted for key {KeyId}: {Recipients} recipient(s) from {Client}")]
    private static partial void LogAccepted(ILogger logger, string messageId, string keyId, int recipients, string client);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Storing an SMTP submission failed; the client was told to retry (451)")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Smtp:{Listener}:TrustedApiKey is not a known API key; trusted-network clients must authenticate")]
    private static partial void LogTrustedKeyUnknown(ILogger logger, string listener);
}
