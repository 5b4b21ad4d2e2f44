using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>How many bytes a message will take once written, from above, so that one buffer holds it.</summary>
internal static class MimeSizes
{
    // Boundaries and the parts' headers (the message's own are counted): a composed message's take
    // about 300 bytes; a buffer that falls short grows once. (8 KB was 6 % of what a 300-byte
    // submission allocated.)
    private const int Overhead = 2 * 1024;

    /// <summary>
    /// The parts' content lengths, as they will be encoded (base64 grows by 4/3 and its line
    /// breaks; quoted-printable by about a tenth for mostly ASCII text; a part written as it is —
    /// already in its transfer encoding, or with none to apply — by nothing), plus the message's own
    /// headers (a submitted message's Received, DKIM-Signature… can be kilobytes) and <see cref="Overhead"/>.
    /// A content whose length is unknown counts as nothing: the buffer then grows as before.
    /// </summary>
    public static int Estimate(MimeMessage message)
    {
        long total = Overhead;
        foreach (var header in message.Headers)
        {
            total += header.Field.Length + header.RawValue.Length + 1;
        }

        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part.Content?.Stream is not { CanSeek: true } content)
            {
                continue;
            }

            total += Encoded(part.ContentTransferEncoding, part.Content.Encoding, content.Length);
        }

        return (int)Math.Min(total, Array.MaxLength);
    }

    private static long Encoded(ContentEncoding transfer, ContentEncoding content, long length) => transfer switch
    {
        // Written as it is: a composed text body (its encoding is chosen for each MX at delivery) or
        // a submitted part. Line ends are rewritten to CRLF (StoredForm): a submitted part has them
        // already, and a composed body's LF → CRLF adds one byte a line: 2 % covers 50-byte lines.
        _ when transfer == content || transfer is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit or ContentEncoding.Binary =>
            length * 102 / 100,
        ContentEncoding.Base64 => length * 139 / 100,
        _ => length * 11 / 10,
    };
}
