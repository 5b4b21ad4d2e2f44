using MimeKit.Text;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// Rewrites an HTML body for tracking: each http(s) link (<c>&lt;a href&gt;</c>, <c>&lt;area href&gt;</c>)
/// through <c>/c/{token}</c>, and the open pixel before <c>&lt;/body&gt;</c> (or at the end). mailto:,
/// tel:, anchors (<c>#top</c>) and relative links are left alone, and so is a link longer than
/// <see cref="MaxUrlLength"/> (its token would pass the request-line limits of proxies).
/// MimeKit's tokenizer reads the HTML in one pass with no backtracking, so hostile HTML costs time
/// in proportion to its length; nothing here is a regex. The rest is written back as it was read
/// (doctype, comments, Outlook's conditional comments, styles, entities), void elements closed
/// (<c>&lt;br/&gt;</c>).
/// </summary>
internal static class LinkRewriter
{
    public const int MaxUrlLength = 2048;

    /// <param name="tracked">The tracked URL for a link's original URL, called for each link in order; null for no click tracking.</param>
    /// <param name="pixelUrl">The open pixel's URL; null for no open tracking.</param>
    public static string Rewrite(string html, Func<string, string>? tracked, string? pixelUrl)
    {
        var pixelWritten = pixelUrl is null;
        var converter = new HtmlToHtml
        {
            HtmlTagCallback = (context, writer) =>
            {
                if (tracked is not null && !context.IsEndTag && context.TagId is HtmlTagId.A or HtmlTagId.Area)
                {
                    context.WriteTag(writer, false);
                    foreach (var attribute in context.Attributes)
                    {
                        if (attribute.Id == HtmlAttributeId.Href && IsTrackable(attribute.Value, out var url))
                        {
                            writer.WriteAttribute(attribute.Name, tracked(url));
                        }
                        else
                        {
                            writer.WriteAttribute(attribute);
                        }
                    }
                }
                else if (!pixelWritten && context.IsEndTag && context.TagId == HtmlTagId.Body)
                {
                    WritePixel(writer, pixelUrl!);
                    pixelWritten = true;
                    context.WriteTag(writer, true);
                }
                else
                {
                    // The converter calls back for an end tag only when its start tag asked.
                    context.InvokeCallbackForEndTag |= context.TagId == HtmlTagId.Body && !pixelWritten;
                    context.WriteTag(writer, true);
                }
            },
        };

        var result = converter.Convert(html);
        return pixelWritten ? result : result + Pixel(pixelUrl!);
    }

    /// <summary>An absolute http(s) URL of bounded length, trimmed as browsers trim it.</summary>
    internal static bool IsTrackable(string? href, out string url)
    {
        url = href?.Trim() ?? "";
        return url.Length is > 0 and <= MaxUrlLength
            && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
    }

    private static void WritePixel(HtmlWriter writer, string url)
    {
        writer.WriteEmptyElementTag("img");
        writer.WriteAttribute("src", url);
        writer.WriteAttribute("width", "1");
        writer.WriteAttribute("height", "1");
        writer.WriteAttribute("alt", "");
        writer.WriteAttribute("style", "display:block;border:0;width:1px;height:1px");
    }

    private static string Pixel(string url)
    {
        using var text = new StringWriter();
        using (var writer = new HtmlWriter(text))
        {
            WritePixel(writer, url);
            writer.Flush();
        }

        return text.ToString();
    }
}
