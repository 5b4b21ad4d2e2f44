using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace SendApi.Inbound;

internal static partial class MimeParts
{
    /// <summary>
    /// Every entity of the message's own body, depth first. It does not descend into attached
    /// messages: a forwarded bounce is a person's message about a bounce, not a bounce.
    /// </summary>
    public static IEnumerable<MimeEntity> Walk(MimeEntity? entity)
    {
        if (entity is null)
        {
            yield break;
        }

        yield return entity;
        if (entity is Multipart multipart)
        {
            foreach (var child in multipart)
            {
                foreach (var descendant in Walk(child))
                {
                    yield return descendant;
                }
            }
        }
    }

    public static bool Is(MimeEntity entity, string mediaType, string mediaSubtype) =>
        entity.ContentType.IsMimeType(mediaType, mediaSubtype);

    /// <summary>Decoded text of a leaf part, whatever MimeKit made of it.</summary>
    public static string Text(MimeEntity entity)
    {
        if (entity is TextPart text)
        {
            return text.Text;
        }

        if (entity is MimePart { Content: not null } part)
        {
            using var output = new MemoryStream();
            part.Content.DecodeTo(output);
            var charset = part.ContentType.CharsetEncoding ?? Encoding.UTF8;
            return charset.GetString(output.ToArray());
        }

        return "";
    }

    /// <summary>The body text a person (or a plain-text bounce) wrote: the plain part, else the HTML with its tags removed.</summary>
    public static string BodyText(MimeMessage message)
    {
        if (message.TextBody is { } plain)
        {
            return plain;
        }

        return message.HtmlBody is { } html ? HtmlToText(html) : "";
    }

    public static string HtmlToText(string html) =>
        WebUtility.HtmlDecode(Tag().Replace(LineBreakingTag().Replace(html, "\n"), " "));

    [GeneratedRegex(@"<(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex LineBreakingTag();

    [GeneratedRegex("<[^>]+>", RegexOptions.NonBacktracking)]
    private static partial Regex Tag();
}
