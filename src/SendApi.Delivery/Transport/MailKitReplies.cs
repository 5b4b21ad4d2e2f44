using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Transport;

/// <summary>Turns MailKit's responses and errors into <see cref="SmtpReply"/>s, splitting off the enhanced status code.</summary>
internal static partial class MailKitReplies
{
    // Only the code: the text after it is taken as it is, so the regex never walks a long reply.
    [GeneratedRegex(@"^[245]\.[0-9]{1,3}\.[0-9]{1,3}\s", RegexOptions.NonBacktracking)]
    private static partial Regex Enhanced();

    public static SmtpReply From(int code, string? text)
    {
        text = (text ?? "").Trim();
        var match = Enhanced().Match(text.Length > 16 ? text[..16] : text);
        return match.Success
            ? new SmtpReply(code, text[..(match.Length - 1)], text[match.Length..].TrimStart())
            : new SmtpReply(code, null, text);
    }

    public static SmtpReply From(SmtpResponse response) => From((int)response.StatusCode, response.Response);

    public static SmtpReply From(SmtpCommandException ex) => From((int)ex.StatusCode, ex.Message);
}
