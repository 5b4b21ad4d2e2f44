using Microsoft.Extensions.Logging;
using MimeKit;
using SendApi.Core.Domains;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Dkim;

/// <summary>
/// DKIM-signs (rsa-sha256, relaxed/relaxed) a message whose From domain the message's own account
/// has registered; any other message goes out as it is. One account can never sign with another
/// account's key, even for the same domain name.
/// </summary>
internal sealed partial class DkimMessageSigner(DkimSignerCache signers, ILogger<DkimMessageSigner> logger) : IMessageSigner
{
    /// <summary>
    /// The headers signed when present, in the order they go into <c>h=</c>. The List-Unsubscribe
    /// pair must be signed for a receiver to honour one-click (RFC 8058 §4).
    /// </summary>
    internal static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId,
        HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ContentTransferEncoding,
        HeaderId.ListUnsubscribe, HeaderId.ListUnsubscribePost,
    ];

    public async ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken)
    {
        if (DkimDomains.FromDomain(message) is not { } domain)
        {
            return;
        }

        var signer = await signers.GetAsync(envelope.AccountId, domain, cancellationToken);
        if (signer is null)
        {
            return;
        }

        // MailKit re-encodes a message for the server it talks to (8bit → quoted-printable for a
        // server without 8BITMIME), but only when the message carries no signature yet, because a
        // re-encoded body no longer matches its signature. So encode for the narrowest server now,
        // before signing, and the bytes signed are the bytes sent to every recipient domain. A
        // message already signed upstream (SMTP submission) is left as it is, as MailKit would, so
        // as not to break that signature.
        if (!message.Headers.Contains(HeaderId.DkimSignature) && !message.Headers.Contains(HeaderId.ArcSeal))
        {
            message.Prepare(EncodingConstraint.SevenBit);
        }

        signer.Sign(message, HeadersToSign(message));
        LogSigned(logger, envelope.Id, domain, signer.Selector);
    }

    /// <summary>
    /// <see cref="SignedHeaders"/> that the message has. MimeKit keeps the Content-* headers of the
    /// top-level entity with the body, not with the message, and signs them from there.
    /// </summary>
    internal static HeaderId[] HeadersToSign(MimeMessage message) =>
        [.. SignedHeaders.Where(id => (id is HeaderId.ContentType or HeaderId.ContentTransferEncoding ? message.Body?.Headers : message.Headers)?.Contains(id) == true)];

    // Log event ids 2300–2399 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2301.
    [LoggerMessage(EventId = 2300, Level = LogLevel.Debug, Message = "Message {MessageId}: DKIM-signed for {Domain} with selector {Selector}")]
    private static partial void LogSigned(ILogger logger, string messageId, string domain, string selector);
}
