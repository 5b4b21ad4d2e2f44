namespace SendApi.Delivery.Transport;

/// <summary>
/// Line ends as MimeKit writes them for SMTP (its Unix2Dos filter): a LF not preceded by a CR
/// becomes CRLF, everything else stays. The intake stores messages with CRLF line ends; messages
/// stored before it did have the platform's (LF here), and the wire wants CRLF.
/// </summary>
internal static class CrlfLines
{
    /// <summary>How long <paramref name="bytes"/> is with CRLF line ends.</summary>
    public static long Length(ReadOnlySpan<byte> bytes)
    {
        long length = bytes.Length;
        for (var at = 0; bytes[at..].IndexOf((byte)'\n') is var next and >= 0; at++)
        {
            at += next;
            if (at == 0 || bytes[at - 1] != '\r')
            {
                length++;
            }
        }

        return length;
    }

    /// <summary>
    /// Copies from <paramref name="source"/>, starting at <paramref name="from"/>, into
    /// <paramref name="into"/> (at least 2 bytes) with CRLF line ends, as much as fits.
    /// </summary>
    /// <returns>How many source bytes were consumed and how many bytes were written.</returns>
    public static (int Consumed, int Written) Copy(ReadOnlySpan<byte> source, int from, Span<byte> into)
    {
        var read = from;
        var written = 0;
        while (read < source.Length && written < into.Length)
        {
            var rest = source[read..];
            var room = into.Length - written;
            var lf = rest[..Math.Min(rest.Length, room)].IndexOf((byte)'\n');
            if (lf < 0)
            {
                var run = Math.Min(rest.Length, room);
                rest[..run].CopyTo(into[written..]);
                read += run;
                written += run;
                continue;
            }

            rest[..lf].CopyTo(into[written..]);
            read += lf;
            written += lf;
            var bare = read == 0 || source[read - 1] != '\r';
            if (into.Length - written < (bare ? 2 : 1))
            {
                break;
            }

            if (bare)
            {
                into[written++] = (byte)'\r';
            }

            into[written++] = (byte)'\n';
            read++;
        }

        return (read - from, written);
    }
}
