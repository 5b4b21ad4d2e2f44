using MimeKit;
using MimeKit.Text;
using SendApi.Core.Inbound;

namespace SendApi.Inbound;

/// <summary>
/// Turns a received MIME message into the <see cref="InboundEmail"/> the API and webhooks show:
/// addresses, the text and HTML bodies, the reply without its quoted history, the headers, and a
/// description of every other part as an attachment.
/// </summary>
public static class InboundMailReader
{
    /// <param name="id">Our id for it.</param>
    /// <param name="accountId">Whose it is.</param>
    /// <param name="size">Octets as received.</param>
    /// <param name="autoReply">Whether the classifier saw an automatic answer.</param>
    public static InboundEmail Read(MimeMessage message, string id, string accountId, DateTimeOffset receivedAt, InboundEnvelope envelope, long size, bool autoReply)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (text, html) = Bodies(message);
        var textBody = text is null ? null : Decode(text);
        var htmlBody = html?.Text;
        var reply = textBody is not null ? ReplyText.Extract(textBody)
            : htmlBody is not null ? ReplyText.ExtractFromHtml(htmlBody)
            : null;
        return new InboundEmail(
            id,
            accountId,
            receivedAt,
            envelope,
            Addresses(message.From).FirstOrDefault(),
            Addresses(message.To),
            Addresses(message.Cc),
            Addresses(message.ReplyTo),
            message.Subject,
            message.Headers.Contains(HeaderId.Date) ? message.Date : null,
            message.MessageId,
            message.InReplyTo,
            [.. message.References],
            InReplyToMessageId: null,
            textBody,
            htmlBody,
            reply,
            autoReply,
            [.. message.Headers.Select(h => new InboundHeader(h.Field, h.Value.Trim()))],
            [.. Attachments(message, text, html).Select(a => a.Description)],
            size);
    }

    /// <summary>The Message-IDs this message answers, nearest first: In-Reply-To, then References from the end.</summary>
    public static IEnumerable<string> ReferencedIds(InboundEmail email)
    {
        if (email.InReplyTo is { Length: > 0 } inReplyTo)
        {
            yield return inReplyTo;
        }

        for (var i = email.References.Count - 1; i >= 0; i--)
        {
            if (email.References[i] != email.InReplyTo)
            {
                yield return email.References[i];
            }
        }
    }

    /// <summary>
    /// Every part that is not the text or HTML body, in order, with its description: what
    /// <c>GET /inbound/{id}/attachments/{index}</c> serves by index.
    /// </summary>
    public static IReadOnlyList<(MimeEntity Part, InboundAttachment Description)> Attachments(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (text, html) = Bodies(message);
        return Attachments(message, text, html);
    }

    private static IReadOnlyList<(MimeEntity Part, InboundAttachment Description)> Attachments(MimeMessage message, TextPart? text, TextPart? html)
    {
        var found = new List<(MimeEntity, InboundAttachment)>();
        foreach (var part in Leaves(message.Body))
        {
            if (ReferenceEquals(part, text) || ReferenceEquals(part, html))
            {
                continue;
            }

            var filename = part switch
            {
                MimePart mime => mime.FileName,
                _ => part.ContentDisposition?.FileName ?? part.ContentType.Name,
            };
            found.Add((part, new InboundAttachment(
                found.Count,
                filename,
                part.ContentType.MimeType.ToLowerInvariant(),
                DecodedSize(part),
                part.ContentId,
                part.ContentDisposition?.Disposition.Equals(ContentDisposition.Inline, StringComparison.OrdinalIgnoreCase) == true)));
        }

        return found;
    }

    /// <summary>
    /// Whether the message has a text and an HTML body, and how many other parts it has (what
    /// <see cref="Attachments(MimeMessage)"/> lists), without decoding anything.
    /// </summary>
    public static (bool HasText, bool HasHtml, int Attachments) Outline(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (text, html) = Bodies(message);
        return (text is not null, html is not null, Leaves(message.Body).Count(p => !ReferenceEquals(p, text) && !ReferenceEquals(p, html)));
    }

    /// <summary>The decoded content of a part (an attached message as its MIME text).</summary>
    public static void WriteContent(MimeEntity part, Stream output)
    {
        ArgumentNullException.ThrowIfNull(part);
        switch (part)
        {
            case MimePart { Content: { } content }:
                content.DecodeTo(output);
                break;
            case MessagePart { Message: { } attached }:
                attached.WriteTo(output);
                break;
        }
    }

    /// <summary>The first text/plain and text/html parts not marked as attachments: what the sender wrote.</summary>
    private static (TextPart? Text, TextPart? Html) Bodies(MimeMessage message)
    {
        TextPart? text = null, html = null;
        foreach (var part in Leaves(message.Body).OfType<TextPart>().Where(p => !p.IsAttachment))
        {
            if (part.IsPlain && text is null)
            {
                text = part;
            }
            else if (part.IsHtml && html is null)
            {
                html = part;
            }
        }

        return (text, html);
    }

    private static string Decode(TextPart part)
    {
        var text = part.Text;
        // format=flowed (RFC 3676) soft-wraps lines; unwrap them so the reply reads as written.
        if (part.IsFlowed)
        {
            var delsp = part.ContentType.Parameters.TryGetValue("delsp", out string? value) && value.Equals("yes", StringComparison.OrdinalIgnoreCase);
            return new FlowedToText { DeleteSpace = delsp }.Convert(text);
        }

        return text;
    }

    /// <summary>Leaf parts in order; an attached message is one leaf, not descended into.</summary>
    private static IEnumerable<MimeEntity> Leaves(MimeEntity? entity) =>
        MimeParts.Walk(entity).Where(e => e is not Multipart);

    private static long DecodedSize(MimeEntity part)
    {
        using var counter = new CountingStream();
        WriteContent(part, counter);
        return counter.Length;
    }

    private static IReadOnlyList<InboundAddress> Addresses(InternetAddressList list) =>
        [.. list.Mailboxes.Select(m => new InboundAddress(string.IsNullOrWhiteSpace(m.Name) ? null : m.Name, m.Address))];

    /// <summary>Counts what is written to it, and keeps nothing.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
