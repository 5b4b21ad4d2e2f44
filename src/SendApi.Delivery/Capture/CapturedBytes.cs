using MimeKit;

namespace SendApi.Delivery.Capture;

/// <summary>
/// The bytes MailKit's SmtpClient writes after DATA (before dot-stuffing) to a server that offers
/// 8BITMIME and SMTPUTF8, as the receiving MTAs we meet do: CRLF line endings, a final line end,
/// no Bcc, Resent-Bcc or Content-Length header, and the message prepared for 8-bit transport
/// (long lines encoded) unless it is DKIM-signed, which must go out exactly as signed. A test
/// compares these bytes with what a real SMTP server receives from <see cref="Transport.SmtpTransport"/>.
/// </summary>
internal static class CapturedBytes
{
    // RFC 5321 §4.5.3.1.6: 1000 octets with CRLF. MailKit prepares messages for the same limit.
    private const int MaxLineLength = 998;

    public static byte[] Of(MimeMessage message)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.EnsureNewLine = true;
        options.HiddenHeaders.Add(HeaderId.ContentLength);
        options.HiddenHeaders.Add(HeaderId.ResentBcc);
        options.HiddenHeaders.Add(HeaderId.Bcc);
        if (!message.Headers.Contains(HeaderId.DkimSignature) && !message.Headers.Contains(HeaderId.DomainKeySignature) && !message.Headers.Contains(HeaderId.ArcSeal))
        {
            message.Prepare(EncodingConstraint.EightBit, MaxLineLength);
        }

        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }
}
