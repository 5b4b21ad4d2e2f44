using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SendApi.Core.Messages;

/// <summary>
/// A mailbox (<c>local-part@domain</c>) as RFC 5321 §4.1.2 writes it, with RFC 6531's UTF-8: the
/// one rule for what an address is, shared by <c>POST /messages</c>, SMTP (MAIL/RCPT) and the
/// suppression list, so that no intake accepts what another refuses.
/// </summary>
public sealed class EmailAddress
{
    /// <summary>RFC 5321 §4.5.3.1.1.</summary>
    public const int MaxLocalPartOctets = 64;

    /// <summary>
    /// RFC 5321 §4.5.3.1.3 allows a 256-octet path, brackets included; RFC 3696's erratum 1690
    /// puts the address itself at 254.
    /// </summary>
    public const int MaxOctets = 254;

    private const string AText = "!#$%&'*+-/=?^_`{|}~";

    private EmailAddress(string localPart, string domain) => (LocalPart, Domain) = (localPart, domain);

    /// <summary>As written: a dot-string, or a quoted string with its quotes.</summary>
    public string LocalPart { get; }

    /// <summary>As written: a domain name, or an address literal in brackets.</summary>
    public string Domain { get; }

    public string Address => $"{LocalPart}@{Domain}";

    public bool IsAddressLiteral => Domain.StartsWith('[');

    /// <summary>
    /// The simplest spelling of the same mailbox: a quoted local part whose content is a valid
    /// dot-string loses its quotes (<c>"bob"@x</c> is <c>bob@x</c>, RFC 5321 §4.1.2), and any other
    /// keeps only the backslashes it needs. Case is kept; comparing is the caller's choice.
    /// </summary>
    public string Canonical => $"{CanonicalLocalPart()}@{Domain}";

    public static bool TryParse(string? text, [NotNullWhen(true)] out EmailAddress? address, out string error)
    {
        address = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "empty address";
            return false;
        }

        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            error = "missing '@domain'";
            return false;
        }

        var local = text[..at];
        var domain = text[(at + 1)..];
        if (!(local.StartsWith('"') ? IsQuotedString(local) : IsDotString(local)))
        {
            error = "bad local part";
            return false;
        }

        if (!(domain.StartsWith('[') ? IsAddressLiteralSyntax(domain) : IsDomainName(domain)))
        {
            error = "bad domain";
            return false;
        }

        if (!IsWellFormedUtf16(text))
        {
            error = "not valid Unicode";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets)
        {
            error = $"local part longer than {MaxLocalPartOctets} octets";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(text) > MaxOctets)
        {
            error = $"address longer than {MaxOctets} octets";
            return false;
        }

        address = new EmailAddress(local, domain);
        error = "";
        return true;
    }

    public override string ToString() => Address;

    private string CanonicalLocalPart()
    {
        if (!LocalPart.StartsWith('"'))
        {
            return LocalPart;
        }

        var content = new StringBuilder(LocalPart.Length);
        for (var i = 1; i < LocalPart.Length - 1; i++)
        {
            // A quoted-pair stands for its second character.
            content.Append(LocalPart[i] == '\\' ? LocalPart[++i] : LocalPart[i]);
        }

        var plain = content.ToString();
        return IsDotString(plain) ? plain : $"\"{plain.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
    }

    private static bool IsAText(char c) => char.IsAsciiLetterOrDigit(c) || AText.Contains(c) || c >= '\xa0';

    private static bool IsDotString(string local) =>
        local.Length > 0 && local.Split('.').All(atom => atom.Length > 0 && atom.All(IsAText));

    /// <summary>RFC 5321 Quoted-string (qtextSMTP or quoted-pairSMTP), UTF-8 allowed; an empty one names no mailbox.</summary>
    private static bool IsQuotedString(string local)
    {
        if (local.Length < 3 || !local.EndsWith('"'))
        {
            return false;
        }

        for (var i = 1; i < local.Length - 1; i++)
        {
            var c = local[i];
            if (c == '\\')
            {
                // quoted-pairSMTP = "\" %d32-126
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

    /// <summary>Labels of letters, digits and inner hyphens, or non-ASCII (an internationalized name, RFC 6531).</summary>
    private static bool IsDomainName(string domain)
    {
        if (domain.Length == 0)
        {
            return false;
        }

        // Ranges of the name rather than Split's strings: this runs for every address of every message.
        var span = domain.AsSpan();
        foreach (var range in span.Split('.'))
        {
            var label = span[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || label.ContainsAny(NotInLabels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What a label may not hold: ASCII other than letters, digits and '-' (non-ASCII from U+00A0 on is an internationalized name).</summary>
    private static readonly SearchValues<char> NotInLabels = SearchValues.Create(
        [.. Enumerable.Range(0, 0xa0).Select(c => (char)c).Where(c => !char.IsAsciiLetterOrDigit(c) && c != '-')]);

    private static bool IsAddressLiteralSyntax(string domain)
    {
        if (domain.Length < 3 || !domain.EndsWith(']'))
        {
            return false;
        }

        var literal = domain[1..^1];
        if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.TryParse(literal[5..], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = literal.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)
            && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    private static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
