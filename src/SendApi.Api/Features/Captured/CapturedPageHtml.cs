using System.Globalization;
using System.Net;
using System.Text;
using SendApi.Core.Capture;

namespace SendApi.Api.Features.Captured;

/// <summary>
/// The captured mail page's HTML. Every value that comes from a message (or a URL) passes through
/// <see cref="E"/>; the message's own HTML is never written here, only framed from its own URL.
/// </summary>
internal static class CapturedPageHtml
{
    // Raw source shown inline up to this; the download has all of it.
    private const int MaxInlineRaw = 512 * 1024;

    private const string Style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;color:#1d1d1f}
        h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.1em;margin:1.4em 0 .4em}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3em .6em;border-bottom:1px solid #e3e3e3}
        th{font-weight:600;white-space:nowrap}td{overflow-wrap:anywhere}
        pre{background:#f6f6f6;padding:.8em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;max-height:40em}
        iframe{width:100%;height:32em;border:1px solid #ccc;background:#fff}
        .muted{color:#666}a{color:#0645ad}nav{margin:.5em 0}
        """;

    public static string List(CapturePage page, int limit, bool isFirstPage)
    {
        var html = Start("Captured mail");
        html.Append("<h1>Captured mail</h1><p class=\"muted\">Newest first. Mail is kept here instead of being sent while Delivery:Mode is capture; the newest Capture:MaxMessages are kept, up to Capture:MaxBytes in all.</p>");
        if (page.Items.Count == 0)
        {
            html.Append(isFirstPage ? "<p id=\"empty\">Nothing captured yet.</p>" : "<p id=\"empty\">No older mail.</p>");
        }
        else
        {
            html.Append("<table id=\"captured\"><thead><tr><th>Captured</th><th>From</th><th>Recipients</th><th>Subject</th><th>Account</th><th>Size</th></tr></thead><tbody>");
            foreach (var m in page.Items)
            {
                html.Append("<tr><td><time datetime=\"").Append(E(m.CapturedAt.ToString("O", CultureInfo.InvariantCulture))).Append("\">")
                    .Append(E(Time(m.CapturedAt))).Append("</time></td><td>").Append(E(Show(m.From)))
                    .Append("</td><td>").Append(E(string.Join(", ", m.Envelope.RcptTo)))
                    .Append("</td><td><a class=\"subject\" href=\"/captured/").Append(E(m.Id)).Append("\">").Append(E(Subject(m.Subject))).Append("</a>")
                    .Append("</td><td>").Append(E(m.AccountId)).Append("</td><td>").Append(E(Size(m.Size))).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        html.Append("<nav>");
        if (!isFirstPage)
        {
            html.Append("<a href=\"/captured\">Newest</a> ");
        }

        if (page.NextCursor is { } next)
        {
            html.Append("<a rel=\"next\" href=\"/captured?limit=").Append(limit.ToString(CultureInfo.InvariantCulture))
                .Append("&amp;cursor=").Append(E(Uri.EscapeDataString(next))).Append("\">Older</a>");
        }

        html.Append("</nav>");
        return End(html);
    }

    public static string Message(CapturedDetail m, byte[] raw)
    {
        var id = E(m.Id);
        var html = Start(Subject(m.Subject));
        html.Append("<nav><a href=\"/captured\">All captured mail</a></nav>");
        html.Append("<h1 id=\"subject\">").Append(E(Subject(m.Subject))).Append("</h1>");
        html.Append("<table id=\"summary\">");
        Row(html, "From", Show(m.From));
        Row(html, "To", string.Join(", ", m.To.Select(Show)));
        if (m.Cc.Count > 0)
        {
            Row(html, "Cc", string.Join(", ", m.Cc.Select(Show)));
        }

        if (m.ReplyTo.Count > 0)
        {
            Row(html, "Reply-To", string.Join(", ", m.ReplyTo.Select(Show)));
        }

        Row(html, "Date", m.Date is { } date ? Time(date) : "");
        Row(html, "Captured", Time(m.CapturedAt));
        Row(html, "MAIL FROM", $"<{m.Envelope.MailFrom}>");
        Row(html, "RCPT TO", string.Join(", ", m.Envelope.RcptTo.Select(r => $"<{r}>")));
        Row(html, "Message", $"{m.MessageId} (account {m.AccountId}), {Size(m.Size)}");
        html.Append("</table>");

        if (m.Html is not null)
        {
            // sandbox="" (no allow-scripts, no allow-same-origin): the message's HTML runs no
            // script and is not of our origin, even if its URL is opened on its own (the response
            // carries the same restriction as a CSP sandbox).
            html.Append("<h2>HTML</h2><iframe id=\"html\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"HTML body\" src=\"/captured/")
                .Append(id).Append("/html\"></iframe>");
        }

        if (m.Text is not null)
        {
            html.Append("<h2>Text</h2><pre id=\"text\">").Append(E(m.Text)).Append("</pre>");
        }

        if (m.Attachments.Count > 0)
        {
            html.Append("<h2>Attachments</h2><ul id=\"attachments\">");
            foreach (var a in m.Attachments)
            {
                html.Append("<li><a download href=\"/captured/").Append(id).Append("/attachments/").Append(a.Index.ToString(CultureInfo.InvariantCulture)).Append("\">")
                    .Append(E(CapturedMail.FileName(a))).Append("</a> <span class=\"muted\">").Append(E(a.ContentType)).Append(", ").Append(E(Size(a.Size)))
                    .Append(a.Inline ? ", inline" : "").Append("</span></li>");
            }

            html.Append("</ul>");
        }

        html.Append("<h2>Headers</h2><table id=\"headers\">");
        foreach (var header in m.Headers)
        {
            Row(html, header.Name, header.Value);
        }

        html.Append("</table>");
        html.Append("<h2>Raw source</h2><p><a download href=\"/captured/").Append(id).Append("/raw\">Download ").Append(id).Append(".eml</a>")
            .Append(" <span class=\"muted\">(the exact bytes that would have been sent after DATA)</span></p>");
        var shown = raw.Length > MaxInlineRaw ? raw.AsSpan(0, MaxInlineRaw) : raw;
        html.Append("<pre id=\"raw\">").Append(E(Encoding.UTF8.GetString(shown))).Append("</pre>");
        if (raw.Length > MaxInlineRaw)
        {
            html.Append("<p class=\"muted\">The first ").Append(E(Size(MaxInlineRaw))).Append(" are shown; the download has all of it.</p>");
        }

        return End(html);
    }

    public static string Notice(string title, string text) =>
        End(Start(title).Append("<h1>").Append(E(title)).Append("</h1><p>").Append(E(text)).Append("</p><nav><a href=\"/captured\">Captured mail</a></nav>"));

    /// <summary>HTML-encodes text for element content and quoted attribute values (&lt; &gt; &amp; " ' encoded; line breaks kept for &lt;pre&gt;).</summary>
    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static StringBuilder Start(string title) =>
        new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>")
            .Append(E(title)).Append(" · SendApi</title><style>").Append(Style).Append("</style></head><body>");

    private static string End(StringBuilder html) => html.Append("</body></html>").ToString();

    private static void Row(StringBuilder html, string name, string value) =>
        html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string Show(CapturedAddress? address) =>
        address is null ? "" : address.Name is { Length: > 0 } name ? $"{name} <{address.Address}>" : address.Address;

    private static string Subject(string? subject) => string.IsNullOrEmpty(subject) ? "(no subject)" : subject;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Size(long bytes) =>
        bytes < 1024 ? $"{bytes} B" : bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes / (1024.0 * 1024):0.#} MB";
}
