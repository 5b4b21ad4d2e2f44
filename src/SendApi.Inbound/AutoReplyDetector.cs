using System.Text.RegularExpressions;
using MimeKit;

namespace SendApi.Inbound;

/// <summary>
/// Recognises automatic answers: RFC 3834's Auto-Submitted, the older X-Autoreply/Precedence
/// headers that vacation programs still write, and the subjects mail clients give them.
/// </summary>
internal static partial class AutoReplyDetector
{
    public static string? Detect(MimeMessage message)
    {
        var autoSubmitted = message.Headers["Auto-Submitted"]?.Trim();
        if (!string.IsNullOrEmpty(autoSubmitted) && !autoSubmitted.StartsWith("no", StringComparison.OrdinalIgnoreCase))
        {
            return $"Auto-Submitted: {FirstToken(autoSubmitted)}";
        }

        foreach (var name in (string[])["X-Autoreply", "X-Autorespond", "X-Auto-Reply"])
        {
            if (message.Headers[name] is { } value && !value.Trim().Equals("no", StringComparison.OrdinalIgnoreCase))
            {
                return $"{name}: {value.Trim()}";
            }
        }

        if (message.Headers["Precedence"]?.Trim() is { } precedence && precedence.Equals("auto_reply", StringComparison.OrdinalIgnoreCase))
        {
            return "Precedence: auto_reply";
        }

        // Exchange marks its out-of-office answers so; the subject below catches them too, in English.
        if (message.Headers["X-MS-Exchange-Generated-Message-Source"] is { } source && source.Contains("Mailbox Rules Agent", StringComparison.OrdinalIgnoreCase))
        {
            return "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent";
        }

        // The words come first: a subject of a megabyte is not read to its end.
        var head = message.Subject?.Trim() is { Length: > 200 } longSubject ? longSubject[..200] : message.Subject?.Trim();
        if (head is not null && AutoReplySubject().IsMatch(head))
        {
            return $"subject: {head}";
        }

        return null;
    }

    private static string FirstToken(string value)
    {
        var end = value.IndexOfAny([';', ' ', '\t']);
        return (end < 0 ? value : value[..end]).ToLowerInvariant();
    }

    [GeneratedRegex(@"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|auto:|out of (the )?office|on vacation|vacation reply|away from (the )?office|abwesenheitsnotiz|r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica)", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex AutoReplySubject();
}
