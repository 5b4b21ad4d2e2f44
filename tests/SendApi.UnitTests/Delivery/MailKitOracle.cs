using MimeKit;
using SendApi.Delivery.Transport;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// The two sides every verbatim-send test compares: what MailKit's SmtpClient writes after DATA
/// (before dot-stuffing) for stored bytes, and what the verbatim carrier writes for the same bytes.
/// </summary>
internal static class MailKitOracle
{
    public static MimeMessage Parse(byte[] stored) => MimeMessage.Load(new MemoryStream(stored, writable: false));

    /// <summary>MailKit's write to a server that takes <paramref name="server"/>: Prepare, CRLF, the hidden headers.</summary>
    public static byte[] AsMailKitSends(MimeMessage message, EncodingConstraint server)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.EnsureNewLine = true;
        options.HiddenHeaders.Add(HeaderId.ContentLength);
        options.HiddenHeaders.Add(HeaderId.ResentBcc);
        options.HiddenHeaders.Add(HeaderId.Bcc);
        message.Prepare(server, 998);
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    public static byte[] Verbatim(byte[] stored)
    {
        using var stream = new MemoryStream();
        var message = VerbatimPart.Carrier(eightBit: false);
        ((VerbatimPart)message.Body!).Hold(stored);
        message.WriteTo(RecordingSmtpClient.VerbatimOptions, stream);
        return stream.ToArray();
    }
}
