using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>How many bytes a message will take once written, from above, so that one buffer holds it.</summary>
internal static class MimeSizes
{
    // Headers and boundaries: a composed message's take about 600 bytes, a submitted one's more; a
    // buffer that falls short grows once. (8 KB was 6 % of what a 300-byte submission allocated.)
    private const int Overhead = 2 * 1024;

    /// <summary>
    /// The parts' content lengths, as they will be encoded (base64 grows by 4/3 and its line
    /// breaks; quoted-printable by about a tenth for mostly ASCII text), plus <see cref="Overhead"/>.
    /// A content whose length is unknown counts as nothing: the buffer then grows as before.
    /// </summary>
    public static int Estimate(MimeMessage message)
    {
        long total = Overhead;
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part.Content?.Stream is not { CanSeek: true } content)
            {
                continue;
            }

            total += part.ContentTransferEncoding == ContentEncoding.Base64 || part.Content.Encoding == ContentEncoding.Base64
                ? content.Length * 139 / 100
                : content.Length * 11 / 10;
        }

        return (int)Math.Min(total, Array.MaxLength);
    }
}
