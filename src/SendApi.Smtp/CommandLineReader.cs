using System.Buffers;
using System.Text;

namespace SendApi.Smtp;

internal enum CommandLineStatus
{
    Line,
    TooLong,
    BareNewline,
    InvalidUtf8,
    Closed,
}

internal readonly record struct CommandLine(CommandLineStatus Status, string Text = "");

/// <summary>
/// Splits the command stream on CRLF only. A line with a bare CR or LF, or one longer than the
/// limit, is refused as a whole and never executed: the rest of it, up to the next CRLF, is
/// discarded as it arrives so an endless line cannot grow the buffer.
/// </summary>
internal sealed class CommandLineReader
{
    /// <summary>RFC 5321 §4.5.3.1.4: 512 octets including CRLF.</summary>
    public const int MaxCommandLine = 512;

    /// <summary>RFC 4954 §4: AUTH command and response lines may be up to 12288 octets.</summary>
    public const int MaxAuthLine = 12288;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private bool _discarding;
    private bool _discardSawCr;
    private bool _tooLongPending;

    /// <param name="authResponse">True while reading the client's answers in an AUTH exchange.</param>
    public async ValueTask<CommandLine> ReadAsync(SmtpChannel channel, bool authResponse = false)
    {
        while (true)
        {
            var buffer = channel.Buffered;
            if (_discarding)
            {
                if (DiscardToEndOfLine(channel, buffer))
                {
                    _discarding = false;
                    if (_tooLongPending)
                    {
                        _tooLongPending = false;
                        return new CommandLine(CommandLineStatus.TooLong);
                    }

                    continue;
                }
            }
            else
            {
                var limit = authResponse || StartsWithAuth(buffer) ? MaxAuthLine : MaxCommandLine;
                var reader = new SequenceReader<byte>(buffer);
                if (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
                {
                    channel.Consume(reader.Position);
                    return Classify(line, limit);
                }

                // No CRLF yet, so any LF is bare: refuse now rather than leave an LF-only client
                // (nc, openssl s_client without -crlf) waiting, and drop the rest of that line.
                if (buffer.PositionOf((byte)'\n') is not null)
                {
                    StartDiscarding(tooLong: false);
                    return new CommandLine(CommandLineStatus.BareNewline);
                }

                if (buffer.Length >= limit)
                {
                    StartDiscarding(tooLong: true);
                    continue;
                }
            }

            if (!await channel.ReadMoreAsync())
            {
                return new CommandLine(CommandLineStatus.Closed);
            }
        }
    }

    private void StartDiscarding(bool tooLong)
    {
        _discarding = true;
        _discardSawCr = false;
        _tooLongPending = tooLong;
    }

    /// <summary>Consumes up to and including the next CRLF, or everything when there is none yet.</summary>
    private bool DiscardToEndOfLine(SmtpChannel channel, ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return false;
        }

        // The CR of the CRLF may have ended the previous read.
        if (_discardSawCr && buffer.FirstSpan[0] == (byte)'\n')
        {
            channel.Consume(buffer.GetPosition(1));
            return true;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n"u8))
        {
            channel.Consume(reader.Position);
            return true;
        }

        _discardSawCr = buffer.Slice(buffer.Length - 1).FirstSpan[0] == (byte)'\r';
        channel.Consume(buffer.End);
        return false;
    }

    private static CommandLine Classify(ReadOnlySequence<byte> line, int limit)
    {
        if (line.Length + 2 > limit)
        {
            return new CommandLine(CommandLineStatus.TooLong);
        }

        var array = line.IsSingleSegment ? null : ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            ReadOnlySpan<byte> span;
            if (array is null)
            {
                span = line.FirstSpan;
            }
            else
            {
                line.CopyTo(array);
                span = array.AsSpan(0, (int)line.Length);
            }

            if (span.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
            {
                return new CommandLine(CommandLineStatus.BareNewline);
            }

            try
            {
                return new CommandLine(CommandLineStatus.Line, StrictUtf8.GetString(span));
            }
            catch (DecoderFallbackException)
            {
                return new CommandLine(CommandLineStatus.InvalidUtf8);
            }
        }
        finally
        {
            if (array is not null)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    private static bool StartsWithAuth(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 5)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(head);
        return Ascii.EqualsIgnoreCase(head, "AUTH "u8);
    }
}
