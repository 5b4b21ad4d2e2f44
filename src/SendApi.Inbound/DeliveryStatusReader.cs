using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace SendApi.Inbound;

/// <summary>Reads the per-recipient fields of a <c>message/delivery-status</c> part (RFC 3464, and RFC 6533's global form).</summary>
internal static partial class DeliveryStatusReader
{
    /// <summary>
    /// Longer than any SMTP reply a field quotes (a reply line is at most 512 octets): a field
    /// past this is cut, so that nothing downstream reads or stores a megabyte of it.
    /// </summary>
    internal const int MaxFieldLength = 4096;

    /// <summary>The recipients the report speaks of; none when its fields cannot be parsed.</summary>
    public static IReadOnlyList<BouncedRecipient> Read(MessageDeliveryStatus status)
    {
        var recipients = new List<BouncedRecipient>();
        HeaderListCollection groups;
        try
        {
            groups = status.StatusGroups;
        }
        catch (FormatException)
        {
            // Not a delivery-status part after all: read as whatever else it is.
            return recipients;
        }

        // The first group holds the per-message fields (Reporting-MTA, Arrival-Date…); one group per recipient follows.
        foreach (var fields in groups.Skip(1))
        {
            var action = Clean(fields["Action"])?.ToLowerInvariant() ?? "failed";
            var statusCode = Clean(fields["Status"]);
            var diagnostic = Clean(fields["Diagnostic-Code"]);
            var (kind, reason) = BounceRules.Classify(action, statusCode, diagnostic);
            recipients.Add(new BouncedRecipient(
                Address(fields["Final-Recipient"]),
                Address(fields["Original-Recipient"]),
                action,
                StatusCode.Parse(statusCode)?.ToString() ?? statusCode,
                diagnostic,
                Host(fields["Remote-MTA"]),
                kind,
                reason));
        }

        return recipients;
    }

    /// <summary>Strips the type (<c>rfc822;</c>, <c>utf-8;</c>, <c>dns;</c>) and any brackets from a typed field.</summary>
    internal static string? Address(string? typed)
    {
        var value = Clean(typed);
        if (value is null)
        {
            return null;
        }

        var semicolon = value.IndexOf(';');
        var type = semicolon > 0 ? value[..semicolon].Trim() : "";
        var address = (semicolon >= 0 ? value[(semicolon + 1)..] : value).Trim().Trim('<', '>').Trim();
        if (type.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            address = DecodeUnitext(address);
        }

        return address.Length == 0 ? null : address;
    }

    /// <summary>The host name of a Remote-MTA field, without the comment Gmail appends ("mx. (192.0.2.1, the server for …)").</summary>
    internal static string? Host(string? typed)
    {
        var value = Address(typed);
        if (value is null)
        {
            return null;
        }

        var end = value.IndexOfAny([' ', '(']);
        var host = (end < 0 ? value : value[..end]).TrimEnd('.');
        return host.Length == 0 ? null : host;
    }

    /// <summary>
    /// Unfolds (MimeKit keeps the folding whitespace of long Diagnostic-Code lines), collapses
    /// each run of whitespace to one space, trims, and cuts at <see cref="MaxFieldLength"/>.
    /// </summary>
    internal static string? Clean(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var clean = new StringBuilder(Math.Min(value.Length, MaxFieldLength));
        var afterSpace = false;
        foreach (var c in value.AsSpan().Trim())
        {
            if (clean.Length == MaxFieldLength)
            {
                break;
            }

            if (!char.IsWhiteSpace(c))
            {
                clean.Append(c);
                afterSpace = false;
            }
            else if (!afterSpace)
            {
                clean.Append(' ');
                afterSpace = true;
            }
        }

        return clean.Length == 0 ? null : clean.ToString().TrimEnd();
    }

    /// <summary>RFC 6533 utf-8-addr-unitext: <c>\x{HEX}</c> escapes for characters that may not appear raw.</summary>
    private static string DecodeUnitext(string value) =>
        Unitext().Replace(value, m =>
        {
            var scalar = int.Parse(m.Groups[1].ValueSpan, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return Rune.IsValid(scalar) ? char.ConvertFromUtf32(scalar) : m.Value;
        });

    [GeneratedRegex(@"\\x\{([0-9A-Fa-f]{1,6})\}", RegexOptions.NonBacktracking)]
    private static partial Regex Unitext();
}
