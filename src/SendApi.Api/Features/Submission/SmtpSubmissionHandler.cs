using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;
using SendApi.Api.Auth;
using SendApi.Api.Auth.RateLimits;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Accounts;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>
/// SMTP submission, feeding the same <see cref="MessageIntake"/> as <c>POST /messages</c>: the API
/// key is the AUTH password (or the trusted-network key), the envelope recipients are the ones
/// delivered, and the headers that carry SendApi options (tags, metadata, idempotency, unsubscribe,
/// tracking) are read and removed, as is Bcc.
/// </summary>
internal sealed partial class SmtpSubmissionHandler(
    IApiKeyStore keys,
    MessageIntake intake,
    TrackingSettings tracking,
    IOptions<SmtpOptions> smtp,
    SmtpServerSettings server,
    TimeProvider time,
    IStorageAvailability storage,
    ApiKeyUsage usage,
    ApiKeyRateLimits rateLimits,
    ILogger<SmtpSubmissionHandler> logger) : ISmtpMessageHandler
{
    public async ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken)
    {
        if (await FindKeyAsync(password, cancellationToken) is not { } key)
        {
            return null;
        }

        usage.Note(key.Id);
        return new SmtpIdentity(key.Id, key);
    }

    /// <summary>The key with this secret; an unreachable store is the engine's temporary failure, not "no such key".</summary>
    private async ValueTask<ApiKey?> FindKeyAsync(string secret, CancellationToken cancellationToken)
    {
        try
        {
            return await keys.FindBySecretAsync(secret, cancellationToken);
        }
        catch (Exception ex) when (storage.TryNoteOutage(ex))
        {
            throw new SmtpHandlerUnavailableException("the store does not answer", ex);
        }
    }

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

        if (await FindKeyAsync(options.TrustedApiKey, cancellationToken) is { } key)
        {
            usage.Note(key.Id);
            return new SmtpIdentity(key.Id, key);
        }

        LogTrustedKeyUnknown(logger, listener.Name);
        return null;
    }

    /// <summary>
    /// MAIL FROM: the address, then what the key allows (its scope, its domains: the envelope
    /// sender's here, the From header's after DATA), then its rate, so that a refused transaction
    /// does not use up the key's budget. A key over its rate gets a temporary failure, which a
    /// client retries later, as it would for a receiver's throttling.
    /// </summary>
    public async ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        if (address.Length == 0)
        {
            return new SmtpServerReply(553, "5.1.7", "The null sender <> is not accepted for submission; use your sending address");
        }

        if (!EmailAddresses.TryParse(address, out _, out var error))
        {
            return new SmtpServerReply(553, "5.1.7", $"Sender address is not valid: {error}");
        }

        if (session.Identity?.State is not ApiKey key)
        {
            return null;
        }

        if (!ApiKeyScopes.MaySend(key.EffectiveScope))
        {
            return new SmtpServerReply(550, "5.7.1", $"This API key has the '{key.EffectiveScope}' scope; it may not send");
        }

        var sending = SendingKey.Of(key);
        var domain = Core.Domains.DomainNames.TryNormalize(address[(address.LastIndexOf('@') + 1)..], out var name) ? name : null;
        if (!sending.MaySendAs(domain))
        {
            return new SmtpServerReply(550, "5.7.1", $"This API key may send only as {string.Join(", ", sending.Domains)}, not as {domain ?? address}");
        }

        if (rateLimits.LimitFor(key.IsAdmin, key.RateLimit) is { } limit
            && await rateLimits.TakeAsync(key.Id, limit, cancellationToken) is { Allowed: false } refused)
        {
            return new SmtpServerReply(451, "4.7.0",
                $"This API key is over its rate limit ({refused.Limit} per {(long)refused.Window.TotalSeconds} s); try again in {refused.ResetSeconds} s");
        }

        return null;
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

        var (mime, unparsable) = await MimeSubmission.ParseAsync(message, cancellationToken);
        if (mime is null)
        {
            return new SmtpServerReply(554, "5.6.0", unparsable!);
        }

        var id = MessageIds.New();
        var now = time.GetUtcNow();
        if (!MimeSubmission.TryPrepare("SMTP", id, key.AccountId, now, mime, envelope.MailFrom, envelope.Recipients, overrides: null, out var prepared, out var error))
        {
            return new SmtpServerReply(550, "5.6.0", error);
        }

        if (tracking.Problem(prepared.Tracking) is { } trackingProblem)
        {
            // Permanent until the operator sets it: the client must not keep retrying.
            return new SmtpServerReply(550, "5.3.5", trackingProblem);
        }

        // After the fingerprint (TryPrepare), which our trace header, new on every submission, must not change.
        AddTrace(mime, session, id, now);
        var incoming = prepared with { Channel = IncomingMessage.Smtp, Key = SendingKey.Of(key), SentOctets = message.CanSeek ? message.Length : null };

        IntakeResult result;
        try
        {
            result = await intake.AcceptAsync(incoming, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged, so nothing is lost: the client keeps the message and retries. An
            // outage is logged once, when it starts (IStorageAvailability); anything else is a bug.
            if (!storage.TryNoteOutage(ex))
            {
                LogStoreFailed(logger, ex);
            }

            return ex is StorageNotDurableException
                ? new SmtpServerReply(451, "4.3.0", "The message is not yet confirmed durable; please try again")
                : new SmtpServerReply(451, "4.3.0", "Temporary failure storing the message; please try again");
        }

        switch (result)
        {
            case MessageTooLarge tooLarge:
                return new SmtpServerReply(552, "5.3.4", $"Message size exceeds fixed maximum message size ({tooLarge.MaxSize} octets)");
            case SenderDomainNotVerified refused:
                return new SmtpServerReply(550, "5.7.1", refused.Reason);
            case SenderDomainNotAllowedForKey refused:
                return new SmtpServerReply(550, "5.7.1", refused.Reason);
            case IdempotencyKeyReused reused:
                return new SmtpServerReply(554, "5.5.0", reused.Reason);
            case MessageAccepted accepted:
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
            default:
                throw new UnreachableException($"SMTP submission does not answer {result.GetType().Name}.");
        }
    }

    /// <summary>
    /// RFC 5321 §4.4: every SMTP server that accepts a message adds a Received line; the protocol
    /// names are RFC 3848's (S = TLS, A = authenticated).
    /// </summary>
    private void AddTrace(MimeMessage mime, SmtpSessionInfo session, string id, DateTimeOffset now)
    {
        var protocol = "ESMTP" + (session.IsTls ? "S" : "") + (session.Identity is not null ? "A" : "");
        var from = session.Remote is { } remote ? $"{session.HeloName ?? "unknown"} ([{remote.Address}])" : session.HeloName ?? "unknown";
        mime.Headers.Insert(0, new Header("Received",
            $"from {from} by {server.Hostname} (SendApi) with {protocol} id {id}; {DateUtils.FormatDate(now)}"));
    }

    // Log event ids 1100–1199 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1104.
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "SMTP submission {MessageId} accepted for key {KeyId}: {Recipients} recipient(s) from {Client}")]
    private static partial void LogAccepted(ILogger logger, string messageId, string keyId, int recipients, string client);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Storing an SMTP submission failed; the client was told to retry (451)")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Smtp:{Listener}:TrustedApiKey is not a known API key; trusted-network clients must authenticate")]
    private static partial void LogTrustedKeyUnknown(ILogger logger, string listener);
}
