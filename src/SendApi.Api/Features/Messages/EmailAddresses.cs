using MimeKit;
using SendApi.Core.Domains;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// Parses one address as an API user writes it: "a@example.com" or "Name &lt;a@example.com&gt;".
/// MimeKit reads the display name; the mailbox itself must pass <see cref="EmailAddress"/>, the rule
/// SMTP applies too (64-octet local part, 254 in all), and have a domain mail can be sent to.
/// </summary>
internal static class EmailAddresses
{
    private static readonly ParserOptions Strict = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
    };

    public static bool TryParse(string? text, out MailboxAddress mailbox, out string error)
    {
        mailbox = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must not be empty";
            return false;
        }

        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            error = "must not contain CR or LF";
            return false;
        }

        if (!InternetAddressList.TryParse(Strict, text, out var list) || list.Count != 1 || list[0] is not MailboxAddress parsed)
        {
            error = $"'{text}' is not a single email address";
            return false;
        }

        if (!EmailAddress.TryParse(parsed.Address, out var address, out var why))
        {
            error = $"'{parsed.Address}' is not a valid address: {why}";
            return false;
        }

        if (address.IsAddressLiteral || !DomainNames.TryNormalize(address.Domain, out _))
        {
            error = $"'{parsed.Address}' has no valid domain";
            return false;
        }

        mailbox = parsed;
        error = "";
        return true;
    }
}
