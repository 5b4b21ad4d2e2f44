using MimeKit;
using SendApi.Core.Messages;
using SendApi.Delivery.Attempts;

namespace SendApi.Delivery.Transport;

/// <summary>
/// The last hop of a delivery: where one transaction (a signed body, for the due recipients of one
/// domain that receive it) goes. <see cref="TransactionSender"/> picks one per message, so that
/// the choice can follow the message (a sandbox key's mail is captured while the rest is sent).
/// </summary>
internal interface IDeliveryTransport
{
    /// <summary>
    /// Whether transactions take the destination domain's connection and rate limits. Those limits
    /// protect receiving servers; mail that reaches none must not use up a real domain's slots.
    /// </summary>
    bool UsesDomainLimits { get; }

    /// <summary>One reply per recipient, in order, and where it went for the timeline (<c>mx.example.com[192.0.2.1]:25 Tls13</c>, <c>capture</c>).</summary>
    Task<(IReadOnlyList<SmtpReply> Replies, string? Via)> SendAsync(OutboundTransaction transaction, CancellationToken cancellationToken);
}

/// <summary>One SMTP transaction as it would go over the wire.</summary>
/// <param name="Work">The message it belongs to.</param>
/// <param name="Domain">The recipients' domain.</param>
/// <param name="Body">The parsed and signed body these recipients receive (the base, or their variant).</param>
/// <param name="Sender">MAIL FROM: the VERP return path when configured, else the sender.</param>
/// <param name="Recipients">RCPT TO, in order.</param>
/// <param name="RequireTls">The domain is in Delivery:RequireTlsDomains.</param>
internal sealed record OutboundTransaction(
    DeliveryWork Work, string Domain, OutgoingBody Body, MailboxAddress Sender, IReadOnlyList<MailboxAddress> Recipients, bool RequireTls);
