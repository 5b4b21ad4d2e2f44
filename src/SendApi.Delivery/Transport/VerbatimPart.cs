using System.Buffers;
using System.Runtime.InteropServices;
using MimeKit;

namespace SendApi.Delivery.Transport;

/// <summary>
/// A message body that MailKit writes out as the bytes it holds, with CRLF line ends: the whole
/// message, headers and all, already in the form MailKit would have written
/// (<see cref="Attempts.OutgoingBody"/> decides when that is so). MailKit still dot-stuffs it
/// (DATA), takes its size for SIZE= (<see cref="RecordingSmtpClient"/>) and reads its transfer
/// encoding for BODY=8BITMIME; MimeKit no longer walks, filters and copies every part of a
/// parsed message twice per transaction (once to measure it, once to send it).
/// </summary>
internal sealed class VerbatimPart : MimePart
{
    // The size of MimeKit's own writes: SmtpDataFilter keeps an output buffer as large as the
    // largest write it gets, so one 100 KB write would cost a 100 KB buffer per transaction.
    private const int WriteSize = 4096;

    /// <summary>The headers this part has only for MailKit's sake; the bytes carry the message's own.</summary>
    public static readonly HeaderId[] OwnHeaders = [HeaderId.ContentType, HeaderId.ContentTransferEncoding];

    private const string MediaType = "application/x-sendapi-verbatim";

    private static readonly ParserOptions Parsing = CreateParsing();

    // MailKit sends BODY=8BITMIME (to a server that offers it) when a part says 8bit.
    private static readonly byte[] SevenBitCarrier = System.Text.Encoding.ASCII.GetBytes($"Content-Type: {MediaType}\r\n");
    private static readonly byte[] EightBitCarrier = System.Text.Encoding.ASCII.GetBytes($"Content-Type: {MediaType}\r\nContent-Transfer-Encoding: 8bit\r\n");

    private ReadOnlyMemory<byte> _bytes;

    /// <summary>The bytes have no bare LF (the intake stores CRLF): written straight from where they lie, not copied.</summary>
    private bool _crlfAlready;

    /// <summary>For MimeKit's parser (<see cref="ParserOptions.RegisterMimeType"/>); see <see cref="Carrier"/>.</summary>
    public VerbatimPart(MimeEntityConstructorArgs args)
        : base(args)
    {
    }

    /// <summary>How many bytes MailKit sends (before dot-stuffing): the SIZE= value.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// A message MailKit can send whose whole wire form is the bytes its body (a VerbatimPart)
    /// holds, with CRLF line ends; it can be reused for one transaction after another. MimeKit
    /// writes a message's headers, a blank line, then its body; the blank line and a MIME-Version
    /// header are left out only for a message it parsed without them, and whose headers were not
    /// changed since, so the message is parsed from a header or two that make its body this part
    /// (and say whether it is 8bit).
    /// </summary>
    /// <param name="eightBit">Whether the messages it carries have an 8bit part.</param>
    public static MimeMessage Carrier(bool eightBit) =>
        // MimeKit's ExperimentalMimeParser, because MimeParser marks every entity as having had a blank line.
        new ExperimentalMimeParser(Parsing, new MemoryStream(eightBit ? EightBitCarrier : SevenBitCarrier, writable: false)).ParseMessage();

    /// <summary>Makes the part's bytes <paramref name="bytes"/> (empty when a transaction is over, so as not to keep them).</summary>
    public void Hold(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        Length = CrlfLines.Length(bytes.Span);
        _crlfAlready = Length == bytes.Length;
    }

    private static ParserOptions CreateParsing()
    {
        var options = ParserOptions.Default.Clone();
        options.RegisterMimeType(MediaType, typeof(VerbatimPart));
        return options;
    }

    public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
    {
        // Already prepared: the bytes are what this server takes.
    }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        // Stored bytes are an array's (a Redis lease, a stored copy); as an array MimeKit's streams take them without a copy.
        if (_crlfAlready && MemoryMarshal.TryGetArray(_bytes, out var array))
        {
            for (var read = 0; read < array.Count; read += WriteSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(array.Array!, array.Offset + read, Math.Min(WriteSize, array.Count - read));
            }

            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(WriteSize);
        try
        {
            for (var read = 0; read < _bytes.Length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (consumed, written) = CrlfLines.Copy(_bytes.Span, read, buffer.AsSpan(0, WriteSize));
                stream.Write(buffer, 0, written);
                read += consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        if (_crlfAlready && MemoryMarshal.TryGetArray(_bytes, out var array))
        {
            for (var read = 0; read < array.Count; read += WriteSize)
            {
                await stream.WriteAsync(array.Array!, array.Offset + read, Math.Min(WriteSize, array.Count - read), cancellationToken);
            }

            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(WriteSize);
        try
        {
            for (var read = 0; read < _bytes.Length;)
            {
                var (consumed, written) = CrlfLines.Copy(_bytes.Span, read, buffer.AsSpan(0, WriteSize));
                await stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken);
                read += consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
