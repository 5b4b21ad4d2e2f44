using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SendApi.Smtp;

internal enum MailboxStatus
{
    Ok,
    Invalid,

    /// <summary>Valid only as an internationalised address, and the transaction did not ask for SMTPUTF8.</summary>
    NeedsSmtpUtf8,
}

/// <summary>
/// RFC 5321 §4.1.2 Mailbox syntax (dot-string or quoted local part, domain or address literal),
/// with RFC 6531's UTF-8 when allowed. The engine only checks the form; the handler decides.
/// </summary>
internal static class MailboxSyntax
{
    private const string AText = "!#$%&'*+-/=?^_`{|}~";

    /// <param name="path">What was between the brackets; a source route ("@a,@b:") is dropped, as §4.1.1.3 says.</param>
    /// <param name="mailbox">The address to hand on.</param>
    public static MailboxStatus Check(string path, bool allowUtf8, bool allowPostmaster, out string mailbox, out string error)
    {
        mailbox = path;
        error = "";
        if (path.StartsWith('@'))
        {
            var colon = path.IndexOf(':');
            if (colon < 0)
            {
                error = "bad source route";
                return MailboxStatus.Invalid;
            }

            mailbox = path = path[(colon + 1)..];
        }

        var at = path.LastIndexOf('@');
        if (at < 0)
        {
            if (allowPostmaster && path.Equals("postmaster", StringComparison.OrdinalIgnoreCase))
            {
                return MailboxStatus.Ok;
            }

            error = "missing '@domain'";
            return MailboxStatus.Invalid;
        }

        var local = path[..at];
        var domain = path[(at + 1)..];
        if (!(local.StartsWith('"') ? IsQuotedString(local) : IsDotString(local)))
        {
            error = "bad local part";
            return MailboxStatus.Invalid;
        }

        if (!IsDomain(domain))
        {
            error = "bad domain";
            return MailboxStatus.Invalid;
        }

        // §4.5.3.1: local part 64 octets, domain 255, path 256 with the brackets.
        if (Encoding.UTF8.GetByteCount(local) > 64 || Encoding.UTF8.GetByteCount(domain) > 255 || Encoding.UTF8.GetByteCount(path) > 254)
        {
            error = "address too long";
            return MailboxStatus.Invalid;
        }

        return !allowUtf8 && !Ascii.IsValid(path) ? MailboxStatus.NeedsSmtpUtf8 : MailboxStatus.Ok;
    }

    private static bool IsDotString(string local) =>
        local.Length > 0 && local.Split('.').All(atom => atom.Length > 0 && atom.All(c => char.IsAsciiLetterOrDigit(c) || AText.Contains(c) || c >= '\xa0'));

    private static bool IsQuotedString(string local)
    {
        if (local.Length < 2 || !local.EndsWith('"'))
        {
            return false;
        }

        for (var i = 1; i < local.Length - 1; i++)
        {
            var c = local[i];
            if (c == '\\')
            {
                // quoted-pair = "\" %d32-126
                if (++i >= local.Length - 1 || local[i] is < ' ' or > '~')
                {
                    return false;
                }
            }
            else if (c is '"' or < ' ' or (>= '\x7f' and < '\xa0'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDomain(string domain)
    {
        if (domain.StartsWith('['))
        {
            return domain.EndsWith(']') && IsAddressLiteral(domain[1..^1]);
        }

        return domain.Length > 0 && domain.Split('.').All(label =>
            label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c >= '\xa0'));
    }

    private static bool IsAddressLiteral(string literal)
    {
        if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.TryParse(literal[5..], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = literal.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)
            && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }
}
