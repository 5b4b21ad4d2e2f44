using MimeKit;
using MimeKit.Text;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// A composed <c>text</c> or <c>html</c> body's part, which writes its content in the stored form
/// (<see cref="StoredForm"/>: CRLF line ends) itself. MimeKit passes a text part's content through
/// its Unix2DosFilter, a byte-at-a-time loop into a second buffer: about 6 % of SendApi's CPU in a
/// 100 KB HTTP drain (perf). Here each line is found with a vectorized search and copied as it is,
/// a CR added before an LF that has none: the bytes MimeKit writes (the filter's rule), which
/// <c>CanonicalTextPartTests</c> hold to MimeKit's own output.
/// <para>
/// Only while the part is as it was composed: the content is still the body's, with no transfer
/// encoding set, written in the stored form. Anything else (the personalizer's rewritten HTML, a
/// Prepare that chose quoted-printable, other format options) is written by MimeKit as before.
/// </para>
/// </summary>
internal sealed class CanonicalTextPart : TextPart
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private static readonly byte[] Lf = "\n"u8.ToArray();

    private readonly BodyContent _body;
    private readonly IMimeContent _content;

    public CanonicalTextPart(TextFormat format, BodyContent body)
        : base(format)
    {
        _body = body;
        _content = new MimeContent(body.OpenRead());
        Content = _content;
        ContentType.Charset = "utf-8";
    }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        if (!AsComposed(options))
        {
            base.WriteTo(options, stream, contentOnly, cancellationToken);
            return;
        }

        if (!contentOnly)
        {
            Headers.WriteTo(options, stream, cancellationToken);
        }

        foreach (var piece in Pieces(_body.Utf8Memory, EnsuresNewLine(contentOnly)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(piece.Span);
        }
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        if (stream is MimeBuffer)
        {
            // The intake's pooled buffer never waits: written synchronously, without an await per
            // line (a 100 KB body has over a thousand lines).
            WriteTo(options, stream, contentOnly, cancellationToken);
            return;
        }

        if (!AsComposed(options))
        {
            await base.WriteToAsync(options, stream, contentOnly, cancellationToken);
            return;
        }

        if (!contentOnly)
        {
            await Headers.WriteToAsync(options, stream, cancellationToken);
        }

        foreach (var piece in Pieces(_body.Utf8Memory, EnsuresNewLine(contentOnly)))
        {
            await stream.WriteAsync(piece, cancellationToken);
        }
    }

    // The stored form's own options (not merely equal ones): its settings are known, and a test
    // writes with a copy of them to have MimeKit's bytes to compare with.
    private bool AsComposed(FormatOptions options) =>
        ReferenceEquals(options, StoredForm.Options)
        && ReferenceEquals(Content, _content)
        && _content.Encoding == ContentEncoding.Default
        && ContentTransferEncoding == ContentEncoding.Default;

    /// <summary>
    /// MimeKit ends the content with a line end when the part is a message's whole body
    /// (<c>MimeMessage</c> writes it with <paramref name="contentOnly"/> and, for a message it did
    /// not parse, strict compliance), not when it is one part of a multipart (written with its
    /// headers). The composer's messages are made, not parsed.
    /// </summary>
    private static bool EnsuresNewLine(bool contentOnly) => contentOnly;

    /// <summary>
    /// The content in the stored form, as consecutive pieces: the body as it is, split only where
    /// an LF has no CR before it, with a CRLF in its place (a CR alone stays as it is, as MimeKit
    /// leaves it); with <paramref name="ensureNewLine"/>, a line end after content that does not
    /// end with an LF. A body already in CRLF is one piece.
    /// </summary>
    internal static IEnumerable<ReadOnlyMemory<byte>> Pieces(ReadOnlyMemory<byte> body, bool ensureNewLine)
    {
        var start = 0;
        var from = 0;
        while (body.Span[from..].IndexOf((byte)'\n') is >= 0 and var found)
        {
            var lf = from + found;
            if (lf == 0 || body.Span[lf - 1] != (byte)'\r')
            {
                if (lf > start)
                {
                    yield return body[start..lf];
                }

                yield return Crlf;
                start = lf + 1;
            }

            from = lf + 1;
        }

        if (start < body.Length)
        {
            yield return body[start..];
        }

        if (ensureNewLine && (body.IsEmpty || body.Span[^1] != (byte)'\n'))
        {
            // A last CR becomes the line end's own CR (MimeKit's filter does the same).
            yield return !body.IsEmpty && body.Span[^1] == (byte)'\r' ? Lf : Crlf;
        }
    }
}
