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

            if (!reader.TryReadToAny(out ReadOnlySequence<byte> text, Specials, advancePastDelimiter: false))
            {
                Append(reader.UnreadSequence);
                reader.AdvanceToEnd();
                return false;
            }

            Append(text);
            reader.TryPeek(out var special);
            if (special == (byte)'\r')
            {
                if (!reader.TryPeek(1, out var next))
                {
                    return false; // is this CR the start of a CRLF? Decided by the next read.
                }

                if (next == (byte)'\n')
                {
                    reader.Advance(2);
                    EndLine();
                    continue;
                }
            }

            // A bare CR, a bare LF or a NUL: remember it, and keep looking for the real terminator.
            _bareNewline = true;
            _lineLength++;
            reader.Advance(1);
        }

        return false;
    }

    private void EndLine()
    {
        _lineLength += 2;
        _lineTooLong |= _lineLength > MaxTextLine;
        Store("\r\n"u8);
        _lineLength = 0;
        _atLineStart = true;
    }

    private void Append(ReadOnlySequence<byte> text)
    {
        // Checked before the CRLF arrives too: the flag is all that is kept of an overlong line.
        _lineLength += text.Length;
        _lineTooLong |= _lineLength > MaxTextLine - 2;
        foreach (var segment in text)
        {
            Store(segment.Span);
        }
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
