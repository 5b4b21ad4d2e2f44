using System.Text;
using System.Text.RegularExpressions;

namespace SendApi.Inbound;

/// <summary>
/// What a person wrote in a reply, without the history their client quoted below it or their
/// signature: the part an application turns into a ticket comment. Heuristic by nature; the full
/// text stays available beside it. Clients mark quotes differently, so each marker below is one a
/// widespread client writes:
/// <list type="bullet">
/// <item>an attribution line: Gmail/Apple/Thunderbird "On … wrote:" (often wrapped over two or three
/// lines) and its translations;</item>
/// <item>Outlook's "-----Original Message-----", its underscore rule, or its header block
/// ("From:" then "Sent:"/"Date:" and "To:"/"Subject:");</item>
/// <item>"&gt;" quoted lines, wherever they are;</item>
/// <item>the RFC 3676 signature delimiter "-- " and mobile sign-offs ("Sent from my iPhone").</item>
/// </list>
/// Interleaved answers (text between quoted lines) keep what was written and drop the quoted lines.
/// </summary>
public static partial class ReplyText
{
    /// <summary>Attributions are wrapped by clients after ~76 characters; three lines cover the long ones.</summary>
    private const int AttributionLines = 3;

    /// <summary>
    /// What a person writes above the history fits in far less; a bound keeps a hostile 10 MB body
    /// from costing more than this. (The regexes are also linear: NonBacktracking, since the
    /// input comes from anyone on the internet.)
    /// </summary>
    private const int MaxScannedChars = 256 * 1024;

    /// <summary>
    /// Attribution lines, rules, header-block lines and sign-offs are short: a longer line is
    /// text, and is never handed to the marker regexes (whose first long match is slow to find).
    /// </summary>
    private const int MaxMarkerLineChars = 1000;

    public static string Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = Head(text).ReplaceLineEndings("\n").Split('\n');
        var end = lines.Length;
        for (var i = 0; i < lines.Length; i++)
        {
            if (StartsHistory(lines, i))
            {
                end = i;
                break;
            }
        }

        var kept = new List<string>(end);
        for (var i = 0; i < end; i++)
        {
            var line = lines[i];
            if (line == "-- " || line == "--")
            {
                // RFC 3676 §4.3: everything below "-- " is the signature.
                break;
            }

            if (!Quoted(line))
            {
                kept.Add(line.TrimEnd());
            }
        }

        while (kept.Count > 0 && (string.IsNullOrWhiteSpace(kept[^1]) || (kept[^1].Length <= MaxMarkerLineChars && MobileSignOff().IsMatch(kept[^1]))))
        {
            kept.RemoveAt(kept.Count - 1);
        }

        // Removed in one step: one at a time from the front would move the rest each time, and
        // a body of blank lines above one word made that quadratic.
        var leading = kept.FindIndex(line => !string.IsNullOrWhiteSpace(line));
        kept.RemoveRange(0, leading < 0 ? kept.Count : leading);

        return string.Join("\n", kept);
    }

    /// <summary>The reply in an HTML-only message: quoted blocks cut where the clients mark them, then tags removed.</summary>
    public static string ExtractFromHtml(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        html = Head(html);
        var cut = HtmlQuoteStart().Match(html);
        var visible = cut.Success ? html[..cut.Index] : html;
        // Markup indentation is not the writer's: each line is trimmed and its space runs collapsed.
        var text = MimeParts.HtmlToText(NonContent().Replace(visible, ""));
        return Extract(string.Join("\n", text.ReplaceLineEndings("\n").Split('\n').Select(l => CollapseSpaces(l).Trim())));
    }

    /// <summary>Each run of two or more spaces and tabs becomes one space.</summary>
    private static string CollapseSpaces(string line)
    {
        if (!line.Contains("  ", StringComparison.Ordinal) && !line.Contains('\t', StringComparison.Ordinal))
        {
            return line;
        }

        var text = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var run = i;
            while (run < line.Length && line[run] is ' ' or '\t')
            {
                run++;
            }

            if (run - i >= 2)
            {
                text.Append(' ');
                i = run - 1;
            }
            else
            {
                text.Append(line[i]);
            }
        }

        return text.ToString();
    }

    private static string Head(string text) => text.Length > MaxScannedChars ? text[..MaxScannedChars] : text;

    private static bool Quoted(string line) => line.TrimStart().StartsWith('>');

    private static bool StartsHistory(string[] lines, int i)
    {
        var line = lines[i].Trim();
        if (line.Length is 0 or > MaxMarkerLineChars)
        {
            return false;
        }

        if (OriginalMessageRule().IsMatch(line) || UnderscoreRule().IsMatch(line))
        {
            return true;
        }

        // "On Tue, 3 Nov 2026 at 10:02, Shop <orders@shop.test>\nwrote:" — join the wrapped lines.
        if (AttributionStart().IsMatch(line))
        {
            var joined = line;
            for (var j = i; j < Math.Min(lines.Length, i + AttributionLines); j++)
            {
                if (j > i)
                {
                    var next = lines[j].Trim();
                    joined += " " + (next.Length > MaxMarkerLineChars ? next[..MaxMarkerLineChars] : next);
                }

                if (AttributionEnd().IsMatch(joined))
                {
                    return true;
                }
            }
        }

        // Outlook's header block: "From: …" followed within a few lines by "Sent:"/"Date:" and "To:"/"Subject:".
        if (HeaderBlockFrom().IsMatch(line))
        {
            var next = lines.Skip(i + 1).Take(4).Select(l => l.Trim()).Where(l => l.Length <= MaxMarkerLineChars).ToList();
            return next.Any(l => HeaderBlockDate().IsMatch(l)) && next.Any(l => HeaderBlockTo().IsMatch(l));
        }

        return false;
    }

    [GeneratedRegex(@"^(On|Le|Am|El|Op|Il|Em|Den|På|W dniu)\s", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex AttributionStart();

    // German and Dutch put the name after the verb: "… schrieb Acme <a@acme.test>:".
    [GeneratedRegex(@"\b(wrote|a écrit|schrieb|escribió|schreef|ha scritto|escreveu|skrev|napisał)\b.*:$", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex AttributionEnd();

    [GeneratedRegex(@"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Forwarded message)\s*-{2,}", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex OriginalMessageRule();

    [GeneratedRegex(@"^_{20,}$", RegexOptions.NonBacktracking)]
    private static partial Regex UnderscoreRule();

    [GeneratedRegex(@"^\*?(From|Von|De|Da|Van)\*?:\s*\S", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex HeaderBlockFrom();

    [GeneratedRegex(@"^\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Verzonden)\*?:", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex HeaderBlockDate();

    [GeneratedRegex(@"^\*?(To|Subject|An|Betreff|À|Objet|Para|Asunto|A|Oggetto|Aan|Onderwerp)\*?:", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex HeaderBlockTo();

    [GeneratedRegex(@"^(Sent from my \w+|Sent from (Outlook|Mail) for \w+|Get Outlook for \w+|Von meinem \w+ gesendet|Envoyé de mon \w+)\b.*$", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex MobileSignOff();

    // Where Gmail, Apple Mail, Thunderbird and Outlook (web and desktop) begin the quoted history.
    [GeneratedRegex(@"<div[^>]+class=""?[^"">]*gmail_quote|<blockquote\b|<div[^>]+class=""?moz-cite-prefix|<div[^>]+id=""?(divRplyFwdMsg|appendonsend)|<hr[^>]+id=""?stopSpelling|<div[^>]+style=""[^""]*border-top:\s*solid\s*#[0-9a-f]{6}\s*1\.0pt", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex HtmlQuoteStart();

    [GeneratedRegex(@"<head\b[^>]*>.*?</head\s*>|<style\b[^>]*>.*?</style\s*>|<script\b[^>]*>.*?</script\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.NonBacktracking)]
    private static partial Regex NonContent();
}
