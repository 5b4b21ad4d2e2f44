using MimeKit;
using SendApi.Delivery.Capture;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// One body of an attempt as it goes out: the parsed (and perhaps signed) message, and, when
/// MailKit would write it out unchanged, the exact bytes it would write, so that a transaction
/// sends those (<see cref="Transport.VerbatimPart"/>) instead of MailKit scanning every text part
/// to prepare the message, then writing it part by part twice, once to measure SIZE= and once to
/// send it (at 100 KB, the scan alone was 5.6 % of SendApi's CPU samples). The bytes at the MX
/// stay the same: only the work of producing them goes.
/// </summary>
internal sealed class OutgoingBody
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly UnchangedByPrepare _unchanged;

    /// <summary>Set once the parsed message went through MailKit, which may have re-encoded parts of it for that server.</summary>
    private bool _preparedByMailKit;

    private OutgoingBody(MimeMessage message, ReadOnlyMemory<byte> bytes, UnchangedByPrepare unchanged)
    {
        Message = message;
        _bytes = bytes;
        _unchanged = unchanged;
    }

    /// <summary>The parsed message: capture mode, and MailKit when it has to prepare the message for a server.</summary>
    public MimeMessage Message { get; }

    /// <param name="message">The message parsed from <paramref name="stored"/>, then signed or left as it was.</param>
    /// <param name="stored">The stored bytes it was parsed from.</param>
    public static OutgoingBody Of(MimeMessage message, ReadOnlyMemory<byte> stored)
    {
        if (IsSigned(message))
        {
            // MailKit never prepares a signed message (re-encoding would break the signature): it
            // writes it as it is for every server, so it is written once here, not twice per transaction.
            var (eightBit, binary) = Encodings(message);
            return binary
                ? Parsed(message)
                : new OutgoingBody(message, CapturedBytes.Of(message), new UnchangedByPrepare(true, true, true, eightBit));
        }

        return new OutgoingBody(message, stored, UnchangedByPrepare.Of(message, stored));
    }

    /// <summary>A body that always goes through MailKit's preparation (e.g. one a failed signing may have changed).</summary>
    public static OutgoingBody Parsed(MimeMessage message) => new(message, ReadOnlyMemory<byte>.Empty, default);

    /// <summary>
    /// Whether a server that takes <paramref name="constraint"/> gets the verbatim bytes: yes when
    /// preparing the message would change nothing; else the parsed <see cref="Message"/> goes to
    /// MailKit, which prepares it as it always did. Once it has, every later transaction sends the
    /// parsed message too, so that each server gets what it got before (a part re-encoded for a
    /// 7-bit server stays re-encoded).
    /// </summary>
    /// <param name="bytes">The bytes to send (LF line ends are sent as CRLF).</param>
    /// <param name="eightBit">Whether a part is 8bit (MailKit sends BODY=8BITMIME where offered).</param>
    public bool TryVerbatim(EncodingConstraint constraint, out ReadOnlyMemory<byte> bytes, out bool eightBit)
    {
        (bytes, eightBit) = (_bytes, _unchanged.EightBitParts);
        if (!_preparedByMailKit && _unchanged.For(constraint))
        {
            return true;
        }

        _preparedByMailKit = true;
        return false;
    }

    private static bool IsSigned(MimeMessage message) =>
        message.Headers.Contains(HeaderId.DkimSignature) || message.Headers.Contains(HeaderId.DomainKeySignature) || message.Headers.Contains(HeaderId.ArcSeal);

    /// <summary>Whether a part is 8bit (MailKit sends BODY=8BITMIME), or binary (BODY=BINARYMIME and BDAT: left to MailKit).</summary>
    private static (bool EightBit, bool Binary) Encodings(MimeMessage message)
    {
        bool eightBit = false, binary = false;
        using var entities = new MimeIterator(message);
        while (entities.MoveNext())
        {
            eightBit |= entities.Current is MimePart { ContentTransferEncoding: ContentEncoding.EightBit };
            binary |= entities.Current is MimePart { ContentTransferEncoding: ContentEncoding.Binary };
        }

        return (eightBit, binary);
    }
}
