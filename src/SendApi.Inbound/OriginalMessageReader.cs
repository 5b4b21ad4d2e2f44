using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Utils;

namespace SendApi.Inbound;

/// <summary>Finds the identifiers of the message a report (or a plain-text bounce) is about.</summary>
internal static partial class OriginalMessageReader
{
    public static OriginalMessage FromParts(MimeMessage report)
    {
        foreach (var entity in MimeParts.Walk(report.Body))
        {
            var headers = HeadersOf(entity);
            if (headers is not null)
            {
                return FromHeaders(headers);
            }
        }

        return OriginalMessage.None;
    }

    /// <summary>
    /// Reads the header block of the copy a plain-text bounce quotes after its explanation.
    /// MTAs often indent it, so leading whitespace is tolerated.
    /// </summary>
    public static OriginalMessage FromQuotedText(string quoted)
    {
        var block = new StringBuilder();
        var started = false;
        foreach (var raw in quoted.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.TrimStart();
            if (!started)
            {
                if (HeaderLine().IsMatch(line))
                {
                    started = true;
                }
                else
                {
                    continue;
                }
            }

            if (line.Length == 0)
            {
                break;
            }

            // A line indented in the original continues the previous header; after trimming, only
            // "Name:" tells a new header from a continuation.
            if (HeaderLine().IsMatch(line) || block.Length == 0)
            {
                block.Append(line).Append("\r\n");
            }
            else
            {
                block.Append(' ').Append(line).Append("\r\n");
            }
        }

        if (block.Length == 0)
        {
            return OriginalMessage.None;
        }

        block.Append("\r\n");
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(block.ToString()));
            return FromHeaders(HeaderList.Load(stream));
        }
        catch (FormatException)
        {
            return OriginalMessage.None;
        }
    }

    public static OriginalMessage FromHeaders(HeaderList headers)
    {
        var messageId = MessageId(headers[HeaderId.MessageId]);
        var returnPath = Unbracket(headers[HeaderId.ReturnPath]);
        var to = InternetAddressList.TryParse(headers[HeaderId.To] ?? "", out var list)
            ? list.Mailboxes.Select(m => m.Address).ToArray()
            : [];
        return new OriginalMessage(messageId, returnPath, to);
    }

    private static HeaderList? HeadersOf(MimeEntity entity)
    {
        if (entity is MessagePart { Message: { } message })
        {
            // text/rfc822-headers is a MessagePart in MimeKit, with a message that has headers only.
            return message.Headers;
        }

        if (entity is MimePart part && (MimeParts.Is(part, "text", "rfc822-headers") || MimeParts.Is(part, "message", "global-headers")))
        {
            try
            {
                using var stream = new MemoryStream(Encoding.UTF8.GetBytes(MimeParts.Text(part).TrimStart() + "\r\n\r\n"));
                return HeaderList.Load(stream);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The text between the first angle brackets, as written: MimeKit's parser rejects or rewrites
    /// some Message-IDs real MTAs write (no '@', spaces), and the raw value is what a lookup keyed
    /// on the Message-ID we sent will match. Without brackets, MimeKit's reading is the best guess.
    /// </summary>
    internal static string? MessageId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var open = value.IndexOf('<');
        var close = open < 0 ? -1 : value.IndexOf('>', open + 1);
        if (close > open + 1)
        {
            return value[(open + 1)..close].Trim();
        }

        return MimeUtils.EnumerateReferences(value).FirstOrDefault() ?? Unbracket(value);
    }

    private static string? Unbracket(string? value)
    {
        var trimmed = value?.Trim().Trim('<', '>').Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9-]*:", RegexOptions.NonBacktracking)]
    private static partial Regex HeaderLine();
}
