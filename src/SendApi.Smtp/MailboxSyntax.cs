using System.Text;
using SendApi.Core.Messages;

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
/// with RFC 6531's UTF-8 when allowed, as <see cref="EmailAddress"/> defines it for every intake.
/// The engine only checks the form; the handler decides.
/// </summary>
internal static class MailboxSyntax
{
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

        // The same rule as the HTTP API's (local part 64 octets, 254 in all, RFC 5321 §4.5.3.1).
        if (!EmailAddress.TryParse(path, out _, out error))
        {
            return MailboxStatus.Invalid;
        }

        return !allowUtf8 && !Ascii.IsValid(path) ? MailboxStatus.NeedsSmtpUtf8 : MailboxStatus.Ok;
    }
}
