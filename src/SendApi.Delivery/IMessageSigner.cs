using MimeKit;
using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// Signs a message just before it goes out (DKIM). Called once per body and attempt (the base, and
/// each variant a due recipient receives), after parsing and before the first SMTP transaction,
/// so every recipient domain that receives a body gets the same signed bytes. A signer that does not
/// sign a message must leave it untouched: an unsigned message is then sent as its stored bytes
/// (<see cref="Attempts.OutgoingBody"/>); one that throws has its message sent as MailKit writes it.
/// </summary>
public interface IMessageSigner
{
    ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken);
}

/// <summary>No signing (until sender domains are registered with DKIM keys).</summary>
internal sealed class NoMessageSigning : IMessageSigner
{
    public ValueTask SignAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
