using System.Runtime.InteropServices;
using MimeKit;
using MimeKit.IO;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// Which servers MailKit would send a stored, unsigned message to as stored (with CRLF line
/// ends). Before it writes a message, MailKit "prepares" it for the server
/// (<c>MimeMessage.Prepare</c> with the narrowest encoding the server takes: 7bit, 8BITMIME, or
/// BINARYMIME): a part whose content does not fit gets a new Content-Transfer-Encoding and is
/// re-encoded, and a message without MIME-Version gets one. This answers, from the parsed parts
/// and a scan of their stored content, whether that preparation changes nothing; and whether
/// writing the message would reproduce the stored bytes (MimeKit ends a message with a line end,
/// and MailKit drops Bcc, Resent-Bcc and Content-Length headers). Anything it is unsure of counts
/// as a change: the message then goes through MailKit as before.
/// </summary>
/// <param name="SevenBit">Unchanged for a server without 8BITMIME.</param>
/// <param name="EightBit">Unchanged for a server with 8BITMIME (and without BINARYMIME).</param>
/// <param name="Binary">Unchanged for a server with BINARYMIME.</param>
/// <param name="EightBitParts">A part says Content-Transfer-Encoding: 8bit (MailKit then sends BODY=8BITMIME where offered).</param>
internal readonly record struct UnchangedByPrepare(bool SevenBit, bool EightBit, bool Binary, bool EightBitParts)
{
    /// <summary>RFC 5321 §4.5.3.1.6, the limit MailKit prepares for: 998 octets and CRLF.</summary>
    private const int MaxLineLength = 998;

    private static readonly HeaderId[] HiddenByMailKit = [HeaderId.Bcc, HeaderId.ResentBcc, HeaderId.ContentLength];

    private static readonly UnchangedByPrepare Never = default;

    /// <summary>Whether a server that takes <paramref name="constraint"/> receives the stored bytes as they are.</summary>
    public bool For(EncodingConstraint constraint) => constraint switch
    {
        EncodingConstraint.SevenBit => SevenBit,
        EncodingConstraint.EightBit => EightBit,
        _ => Binary,
    };

    /// <param name="message">The message parsed (persistently) from <paramref name="stored"/>, unsigned and unchanged since.</param>
    /// <param name="stored">The stored bytes.</param>
    public static UnchangedByPrepare Of(MimeMessage message, ReadOnlyMemory<byte> stored)
    {
        var bytes = stored.Span;
        // A byte-order mark is skipped by the parser and not written back; a message not ending
        // in a line end gets one.
        if (bytes.Length < 2 || bytes.StartsWith("\uFEFF"u8) || bytes[^1] != '\n')
        {
            return Never;
        }

        if (message.Body is null || HasHiddenHeader(message.Headers)
            || (message.MimeVersion is null && message.Body.Headers.Count > 0))
        {
            return Never;
        }

        bool sevenBit = true, eightBit = true, binary = true, eightBitParts = false;
        using var entities = new MimeIterator(message);
        while (entities.MoveNext())
        {
            var entity = entities.Current;
            if (HasHiddenHeader(entity.Headers))
            {
                return Never;
            }

            if (entity is Multipart multipart)
            {
                // A multipart that never closed (cut short, or "--b-- x", which is no boundary) is
                // parsed without an epilogue (a closed one has one, if only ""): MimeKit then
                // writes one more line end after it each time it writes it, so MailKit never sends
                // it as stored.
                if (multipart.Epilogue is null)
                {
                    return Never;
                }

                continue;
            }

            if (entity is not MimePart part)
            {
                // message/rfc822 parts are prepared as messages of their own: not worth following.
                return Never;
            }

            var encoding = part.ContentTransferEncoding;
            if (encoding is ContentEncoding.Base64 or ContentEncoding.QuotedPrintable or ContentEncoding.UUEncode)
            {
                // Safe for any server: MimeKit leaves these as they are.
                continue;
            }

            // Binary (BODY=BINARYMIME, BDAT) is rare enough to leave to MailKit; MimeKit
            // base64-encodes any 7bit or 8bit part that is not text.
            if (encoding is not (ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit)
                || !part.ContentType.IsMimeType("text", "*")
                || !TryScan(part, stored, out var content))
            {
                return Never;
            }

            if (content.Nul || content.LongLine || content.FromLine)
            {
                // Re-encoded (base64 or quoted-printable) for every kind of server.
                return Never;
            }

            // Otherwise MimeKit picks 8bit when a byte is above 127 (quoted-printable or base64
            // for a 7-bit server), else 7bit; the part is unchanged when it already says so (no
            // header counts as 7bit).
            var says7Bit = encoding is ContentEncoding.Default or ContentEncoding.SevenBit;
            var fits = content.EightBit ? encoding == ContentEncoding.EightBit : says7Bit;
            sevenBit &= says7Bit && !content.EightBit;
            eightBit &= fits;
            binary &= fits;
            eightBitParts |= encoding == ContentEncoding.EightBit;
        }

        return new UnchangedByPrepare(sevenBit, eightBit, binary, eightBitParts);
    }

    private static bool HasHiddenHeader(HeaderList headers)
    {
        foreach (var id in HiddenByMailKit)
        {
            if (headers.Contains(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What MimeKit's BestEncodingFilter looks for in a part's content.</summary>
    private readonly record struct ContentScan(bool Nul, bool EightBit, bool LongLine, bool FromLine);

    /// <summary>
    /// Scans the part's content where it lies in the stored bytes (a persistent parse leaves it as
    /// a window on them); false when it does not lie there.
    /// </summary>
    private static bool TryScan(MimePart part, ReadOnlyMemory<byte> stored, out ContentScan scan)
    {
        scan = default;
        if (part.Content is null)
        {
            return true;
        }

        if (part.Content.Stream is not BoundStream { BaseStream: MemoryStream source } window
            || !source.TryGetBuffer(out var buffer)
            || !MemoryMarshal.TryGetArray(stored, out var storedArray)
            || buffer.Array != storedArray.Array || buffer.Offset != storedArray.Offset || buffer.Count != storedArray.Count
            || window.StartBoundary < 0 || window.EndBoundary > stored.Length || window.EndBoundary < window.StartBoundary)
        {
            return false;
        }

        var content = stored.Span[(int)window.StartBoundary..(int)window.EndBoundary];
        var longLine = false;
        var fromLine = false;
        for (var lineStart = 0; lineStart < content.Length;)
        {
            var line = content[lineStart..];
            var end = line.IndexOf((byte)'\n');
            var length = end < 0 ? line.Length : end;
            // MimeKit counts a line without the CR of its CRLF.
            longLine |= (length > 0 && line[length - 1] == '\r' && end >= 0 ? length - 1 : length) > MaxLineLength;
            // An mbox "From " line is quoted-printable-encoded so that no mailbox mangles it.
            fromLine |= line[..length].StartsWith("From "u8);
            lineStart += end < 0 ? line.Length : end + 1;
        }

        scan = new ContentScan(content.Contains((byte)0), content.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0, longLine, fromLine);
        return true;
    }
}
