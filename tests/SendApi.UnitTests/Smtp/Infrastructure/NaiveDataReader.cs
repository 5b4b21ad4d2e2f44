using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>
/// What DATA should make of a whole input, worked out one byte at a time straight from the rules
/// (RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6, and ours: only CRLF ends a line, a bare CR, LF or NUL
/// poisons the message, the size counts unstuffed octets). Slow and obvious on purpose: the oracle
/// that <see cref="DataReader"/>, which scans whole segments at once, is compared with.
/// </summary>
internal static class NaiveDataReader
{
    /// <returns>The outcome, the content to deliver, and how many input bytes DATA took (the rest are commands).</returns>
    public static (DataOutcome Outcome, byte[] Content, int Consumed) Read(byte[] input, long maxSize)
    {
        var content = new List<byte>();
        var (bare, tooLong) = (false, false);
        var lineLength = 0;
        var lineStart = true;
        var i = 0;
        while (true)
        {
            if (lineStart && input.AsSpan(i).StartsWith(".\r\n"u8))
            {
                var outcome = bare ? DataOutcome.BareNewline
                    : content.Count > maxSize ? DataOutcome.TooLarge
                    : tooLong ? DataOutcome.LineTooLong
                    : DataOutcome.Complete;
                return (outcome, outcome == DataOutcome.Complete ? [.. content] : [], i + 3);
            }

            if (i >= input.Length)
            {
                return (DataOutcome.Disconnected, [], i);
            }

            if (lineStart)
            {
                lineStart = false;
                if (input[i] == (byte)'.')
                {
                    i++; // the transparency dot
                    continue;
                }
            }

            var b = input[i];
            if (b == (byte)'\r' && i + 1 < input.Length && input[i + 1] == (byte)'\n')
            {
                content.Add((byte)'\r');
                content.Add((byte)'\n');
                tooLong |= lineLength + 2 > MessageText.MaxTextLine;
                lineLength = 0;
                lineStart = true;
                i += 2;
            }
            else
            {
                if (b is (byte)'\r' or (byte)'\n' or 0)
                {
                    bare = true;
                }
                else
                {
                    content.Add(b);
                }

                lineLength++;
                i++;
            }
        }
    }
}
