using System.Buffers;

namespace SendApi.Smtp;

internal enum DataOutcome
{
    /// <summary>Terminated properly and passed every check: deliver it.</summary>
    Complete,

    /// <summary>Contained a bare CR, a bare LF or a NUL: possible SMTP smuggling.</summary>
    BareNewline,

    TooLarge,
    LineTooLong,

    /// <summary>The client went away before the terminator: nothing may be delivered.</summary>
    Disconnected,
}

/// <summary>
/// Reads the DATA content up to the one terminator RFC 5321 knows, CRLF "." CRLF, removing the
/// transparency dot and writing the rest to <paramref name="sink"/>.
/// </summary>
/// <remarks>
/// The text rules are <see cref="MessageText"/>'s, applied while streaming. Only a CRLF starts a new line. A bare CR or LF (or a NUL) is never normalised: it poisons the
/// message, and reading goes on to the real terminator, so "\n.\n" or "\r.\r" followed by commands
/// stays message content (CVE-2023-51764 and relatives). Bytes are consumed only once their meaning
/// is known, so a boundary between reads may fall anywhere, even inside "\r\n.\r\n".
/// <para>
/// Each buffer segment is scanned in place (<see cref="ScanSpan"/>) and stored in one copy per
/// segment, not line by line: a 100 KB body is a few dozen appends instead of thousands. Only what
/// needs a look beyond the segment (a line's leading dot, a CR that ends the segment) goes through
/// the <see cref="SequenceReader{T}"/>, which peeks across segments.
/// </para>
/// </remarks>
internal sealed class DataReader(ChunkedBufferStream sink, long maxMessageSize)
{
    public const int MaxTextLine = MessageText.MaxTextLine;

    private static ReadOnlySpan<byte> Specials => MessageText.Specials;

    private bool _atLineStart = true;
    private long _lineLength;
    private long _size;
    private bool _bareNewline;
    private bool _tooLarge;
    private bool _lineTooLong;

    private bool Storing => !(_bareNewline || _tooLarge || _lineTooLong);

    public async ValueTask<DataOutcome> ReadAsync(SmtpChannel channel)
    {
        while (true)
        {
            var reader = new SequenceReader<byte>(channel.Buffered);
            var finished = Scan(ref reader);
            channel.Consume(reader.Position);
            if (finished)
            {
                return _bareNewline ? DataOutcome.BareNewline
                    : _tooLarge ? DataOutcome.TooLarge
                    : _lineTooLong ? DataOutcome.LineTooLong
                    : DataOutcome.Complete;
            }

            if (!await channel.ReadMoreAsync())
            {
                return DataOutcome.Disconnected;
            }
        }
    }

    /// <summary>Consumes what can be decided; true once the terminator has been consumed.</summary>
    private bool Scan(ref SequenceReader<byte> reader)
    {
        while (!reader.End)
        {
            if (_atLineStart)
            {
                if (!reader.TryPeek(out var first))
                {
                    return false;
                }

                if (first == (byte)'.')
                {
                    // ".\r\n" ends the data; any other leading dot is the transparency dot.
                    if (!reader.TryPeek(1, out var second) || (second == (byte)'\r' && !reader.TryPeek(2, out _)))
                    {
                        return false;
                    }

                    if (second == (byte)'\r' && reader.TryPeek(2, out var third) && third == (byte)'\n')
                    {
                        reader.Advance(3);
                        return true;
                    }

                    reader.Advance(1);
                }

                _atLineStart = false;
            }

            var span = reader.UnreadSpan;
            var decided = ScanSpan(span);
            reader.Advance(decided);
            if (decided == span.Length || _atLineStart)
            {
                continue; // the segment is done, or a line starting with a dot is next
            }

            // Stopped at a CR that ends the segment: is it the start of a CRLF? Decided by the next byte.
            if (!reader.TryPeek(1, out var next))
            {
                return false;
            }

            if (next == (byte)'\n')
            {
                reader.Advance(2);
                EndLine();
                Store("\r\n"u8);
            }
            else
            {
                BareSpecial();
                reader.Advance(1);
            }
        }

        return false;
    }

    /// <summary>
    /// Scans <paramref name="span"/> from the middle of a line (or a line start that is not a dot)
    /// and stores what it decided in one piece. Returns how many bytes that is: all of them, or up
    /// to a line that starts with a dot (the terminator or a transparency dot, for <see cref="Scan"/>)
    /// or to a CR that ends the span.
    /// </summary>
    private int ScanSpan(ReadOnlySpan<byte> span)
    {
        var position = 0;
        while (position < span.Length)
        {
            if (_atLineStart)
            {
                if (span[position] == (byte)'.')
                {
                    break;
                }

                _atLineStart = false;
            }

            var next = span[position..].IndexOfAny(Specials);
            if (next < 0)
            {
                _lineLength += span.Length - position;
                position = span.Length;
                break;
            }

            _lineLength += next;
            position += next;
            if (span[position] == (byte)'\r')
            {
                if (position + 1 == span.Length)
                {
                    break;
                }

                if (span[position + 1] == (byte)'\n')
                {
                    position += 2;
                    EndLine();
                    continue;
                }
            }

            BareSpecial();
            position++;
        }

        // Checked before the CRLF arrives too: the flag is all that is kept of an overlong line.
        _lineTooLong |= _lineLength > MaxTextLine - 2;
        Store(span[..position]);
        return position;
    }

    /// <summary>A CRLF ended the line (its octets are stored by the caller).</summary>
    private void EndLine()
    {
        _lineTooLong |= _lineLength + 2 > MaxTextLine;
        _lineLength = 0;
        _atLineStart = true;
    }

    /// <summary>A bare CR, a bare LF or a NUL: remember it, and keep looking for the real terminator.</summary>
    private void BareSpecial()
    {
        _bareNewline = true;
        _lineLength++;
    }

    private void Store(ReadOnlySpan<byte> bytes)
    {
        _size += bytes.Length;
        _tooLarge |= _size > maxMessageSize;
        if (Storing)
        {
            sink.Append(bytes);
        }
        else
        {
            // Nothing of a refused message will be delivered; give its memory back now.
            sink.Clear();
        }
    }
}
