using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Transport;

/// <summary>Turns MailKit's responses and errors into <see cref="SmtpReply"/>s, splitting off the enhanced status code.</summary>
internal static partial class SmtpReplies
{
    [GeneratedRegex(@"^(?<enhanced>[245]\.\d{1,3}\.\d{1,3})\s+(?<text>.*)$", RegexOptions.Singleline)]
    private static partial Regex Enhanced();

    public static SmtpReply From(int code, string? text)
    {
        text = (text ?? "").Trim();
        var match = Enhanced().Match(text);
        return match.Success
            ? new SmtpReply(code, match.Groups["enhanced"].Value, match.Groups["text"].Value)
            : new SmtpReply(code, null, text);
    }

    public static SmtpReply From(SmtpResponse response) => From((int)response.StatusCode, response.Response);

    public static SmtpReply From(SmtpCommandException ex) => From((int)ex.StatusCode, ex.Message);
}
