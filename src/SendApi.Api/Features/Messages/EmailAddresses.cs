using System.Globalization;
using MimeKit;

namespace SendApi.Api.Features.Messages;

/// <summary>Parses one address as an API user writes it: "a@example.com" or "Name &lt;a@example.com&gt;".</summary>
internal static class EmailAddresses
{
    private static readonly ParserOptions Strict = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
    };

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

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

        var at = parsed.Address.LastIndexOf('@');
        var domain = at > 0 ? parsed.Address[(at + 1)..] : "";
        if (at <= 0 || !IsValidDomain(domain))
        {
            error = $"'{parsed.Address}' has no valid domain";
            return false;
        }

        mailbox = parsed;
        error = "";
        return true;
    }

    private static bool IsValidDomain(string domain)
    {
        if (domain.Length is 0 or > 253 || !domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.'))
        {
            return false;
        }

        try
        {
            var ascii = Idn.GetAscii(domain);
            return ascii.Split('.').All(label => label.Length is > 0 and <= 63);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
