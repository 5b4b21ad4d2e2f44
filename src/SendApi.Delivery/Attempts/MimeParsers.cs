using System.Collections.Concurrent;
using MimeKit;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// Parses messages with parsers that are kept and reused (<see cref="MimeParser.SetStream(Stream, MimeFormat, bool)"/>
/// resets one for the next stream) instead of one new parser per message: a parser's own buffers
/// are about 5 KB, 8 % of everything a 2 KB message allocated between its submission and its
/// delivery (it is parsed once at each end), by an allocation profile. The message a parser
/// returns holds nothing of the parser; a parser that failed is dropped rather than reused.
/// Shared by the intake (SMTP, <c>POST /messages/raw</c>) and delivery.
/// </summary>
public static class MimeParsers
{
    // Enough for the messages parsed at once on two busy listeners and the delivery slots; beyond
    // that a parser is simply left to the collector.
    private const int MaxKept = 64;

    private static readonly ConcurrentQueue<MimeParser> Kept = new();
    private static int _kept;

    /// <summary>As <see cref="MimeMessage.Load(ParserOptions, Stream, bool, CancellationToken)"/>.</summary>
    public static MimeMessage Load(Stream stream, bool persistent, CancellationToken cancellationToken = default)
    {
        var parser = Take(stream, persistent);
        var message = parser.ParseMessage(cancellationToken);
        Give(parser);
        return message;
    }

    /// <summary>As <see cref="MimeMessage.LoadAsync(ParserOptions, Stream, bool, CancellationToken)"/>.</summary>
    public static async Task<MimeMessage> LoadAsync(Stream stream, bool persistent, CancellationToken cancellationToken = default)
    {
        var parser = Take(stream, persistent);
        var message = await parser.ParseMessageAsync(cancellationToken);
        Give(parser);
        return message;
    }

    private static MimeParser Take(Stream stream, bool persistent)
    {
        if (Kept.TryDequeue(out var parser))
        {
            Interlocked.Decrement(ref _kept);
            parser.SetStream(stream, MimeFormat.Entity, persistent);
            return parser;
        }

        return new MimeParser(ParserOptions.Default, stream, MimeFormat.Entity, persistent);
    }

    private static void Give(MimeParser parser)
    {
        // Let go of the stream parsed (a pooled buffer, up to a whole message) before the parser waits for its next one.
        parser.SetStream(Stream.Null, MimeFormat.Entity);
        if (Interlocked.Increment(ref _kept) <= MaxKept)
        {
            Kept.Enqueue(parser);
        }
        else
        {
            Interlocked.Decrement(ref _kept);
        }
    }
}
