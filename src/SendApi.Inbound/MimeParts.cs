using System.Net;
using System.Text;
using MimeKit;

namespace SendApi.Inbound;

internal static class MimeParts
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

    /// <summary>
    /// The text of an HTML body: every tag removed, the ones that end a line (br, /p, /div, /tr,
    /// /li, /h1-6) turned into a line break, entities decoded. One pass, no regex: an unclosed
    /// tag or a tag a megabyte long costs what reading it costs.
    /// </summary>
    public static string HtmlToText(string html)
    {
        var text = new StringBuilder(html.Length);
        var at = 0;
        while (at < html.Length)
        {
            var open = html.IndexOf('<', at);
            var close = open < 0 ? -1 : html.IndexOf('>', open + 1);
            if (close < 0)
            {
                // No '>' after this '<', so none after any later one either: the rest is text.
                text.Append(html, at, html.Length - at);
                break;
            }

            text.Append(html, at, open - at);
            if (close == open + 1)
            {
                text.Append("<>"); // not a tag
            }
            else
            {
                text.Append(EndsLine(html.AsSpan(open + 1, close - open - 1)) ? '\n' : ' ');
            }

            at = close + 1;
        }

        return WebUtility.HtmlDecode(text.ToString());
    }

    private static bool EndsLine(ReadOnlySpan<char> tag)
    {
        foreach (var name in (ReadOnlySpan<string>)["br", "/p", "/div", "/tr", "/li"])
        {
            if (tag.StartsWith(name, StringComparison.OrdinalIgnoreCase) && EndsName(tag, name.Length))
            {
                return true;
            }
        }

        return tag.Length >= 3 && tag.StartsWith("/h", StringComparison.OrdinalIgnoreCase) && char.IsDigit(tag[2]) && EndsName(tag, 3);
    }

    /// <summary>The tag name ends at <paramref name="at"/> (what a regex's \b after it says).</summary>
    private static bool EndsName(ReadOnlySpan<char> tag, int at) =>
        at >= tag.Length || !(char.IsLetterOrDigit(tag[at]) || tag[at] == '_');
}
