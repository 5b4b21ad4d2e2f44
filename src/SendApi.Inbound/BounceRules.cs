using System.Globalization;
using System.Text.RegularExpressions;

namespace SendApi.Inbound;

/// <summary>
/// Hard or soft, from the RFC 3463 status code first and the diagnostic's SMTP reply and wording
/// second. Hard means the address will keep failing and gets suppressed, so it is kept to what is
/// about the address (5.1.x, disabled mailboxes, refused domains) and policy blocks (5.7.x).
/// </summary>
internal static partial class BounceRules
{
    public static (BounceKind Kind, string Reason) Classify(string action, string? status, string? diagnostic)
    {
        action = action.ToLowerInvariant();
        var code = StatusCode.Parse(status);

        // A generic or missing status often hides a precise one in the reply text ("550-5.1.1 …").
        if (code is null || code.Value.IsGeneric)
        {
            if (StatusCode.Find(diagnostic) is { } fromText && (code is null || !fromText.IsGeneric))
            {
                code = fromText;
            }
        }

        // Without a precise enhanced code, the basic reply code still tells temporary from
        // permanent, and it wins over a generic status that contradicts it (an MTA that gave up
        // after "450 try later" may still write 5.0.0).
        var label = code?.ToString();
        var reply = SmtpReplyCode(diagnostic);
        if (reply is { } basic && (code is null || (code.Value.IsGeneric && code.Value.Class != basic / 100)))
        {
            code = new StatusCode(basic / 100, 0, 0);
            label = basic.ToString(CultureInfo.InvariantCulture);
        }

        if (action == "delayed")
        {
            // Still being retried by the remote MTA: whatever the code says, nothing is final yet.
            return (BounceKind.Soft, WithCode("delivery delayed, still being retried", label));
        }

        if (action is "delivered" or "relayed" or "expanded")
        {
            return (BounceKind.Unknown, $"{action}, not a failure");
        }

        // A 4xx is temporary whatever its words say; a generic 5.0.0 lets the words decide.
        if (code is { } known && (!known.IsGeneric || known.Class == 4) && ByCode(known) is { } byCode)
        {
            return (byCode.Kind, WithCode(byCode.Reason, label));
        }

        if (ByText(diagnostic) is { } byText)
        {
            return (byText.Kind, WithCode(byText.Reason, label));
        }

        return code?.Class switch
        {
            5 => (BounceKind.Unknown, WithCode("permanent failure", label)),
            2 => (BounceKind.Unknown, WithCode("success", label)),
            _ => (BounceKind.Unknown, "delivery failed, no reason given"),
        };
    }

    /// <summary>The rules for the status codes RFC 3463 defines, plus the ones receivers use in practice.</summary>
    internal static (BounceKind Kind, string Reason)? ByCode(StatusCode code)
    {
        if (code.Class == 4)
        {
            return (BounceKind.Soft, code.Subject switch
            {
                2 when code.Detail == 2 => "mailbox full",
                4 when code.Detail == 7 => "delivery time expired",
                7 => "temporarily refused by policy",
                _ => "temporary failure",
            });
        }

        if (code.Class != 5)
        {
            return null;
        }

        return (code.Subject, code.Detail) switch
        {
            (1, 1) => (BounceKind.Hard, "mailbox does not exist"),
            (1, 2) => (BounceKind.Hard, "domain does not exist"),
            (1, 3) => (BounceKind.Hard, "invalid address"),
            (1, 6) => (BounceKind.Hard, "mailbox has moved"),
            (1, 10) => (BounceKind.Hard, "domain accepts no mail (null MX)"),
            (1, _) => (BounceKind.Hard, "bad destination address"),
            (2, 1) => (BounceKind.Hard, "mailbox disabled"),
            (2, 2) => (BounceKind.Soft, "mailbox full"),
            (2, 3) => (BounceKind.Soft, "message too large for the mailbox"),
            (3, 1) => (BounceKind.Soft, "mail system full"),
            (3, 2) => (BounceKind.Hard, "system not accepting mail"),
            (3, 4) => (BounceKind.Soft, "message too big"),
            (4, 4) => (BounceKind.Hard, "no route to the destination"),
            // Expiry means the receiver kept answering 4xx until we gave up: it says nothing about
            // the mailbox, so suppressing the address on it would lose good addresses.
            (4, 7) => (BounceKind.Soft, "delivery time expired"),
            // 5.7.1 included: a receiver that rejects on policy or as spam keeps rejecting.
            (7, _) => (BounceKind.Hard, "rejected by policy"),
            _ => null,
        };
    }

    /// <summary>
    /// What the words of a reply say, for replies without a usable status code, and for codes a
    /// receiver uses against their RFC 3463 meaning: Exchange Online answers an address its
    /// directory does not know (Directory-Based Edge Blocking) with "550 5.4.1 Recipient address
    /// rejected: Access denied", where 5.4.1 would mean "no answer from host".
    /// </summary>
    internal static (BounceKind Kind, string Reason)? ByText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // Full mailboxes first: "mailbox full" must not be read as "mailbox unavailable".
        if (MailboxFull().IsMatch(text))
        {
            return (BounceKind.Soft, "mailbox full");
        }

        if (NoSuchUser().IsMatch(text))
        {
            return (BounceKind.Hard, "mailbox does not exist");
        }

        if (NoSuchDomain().IsMatch(text))
        {
            return (BounceKind.Hard, "domain does not exist");
        }

        if (Disabled().IsMatch(text))
        {
            return (BounceKind.Hard, "mailbox disabled");
        }

        if (Temporary().IsMatch(text))
        {
            return (BounceKind.Soft, "temporary failure");
        }

        return null;
    }

    /// <summary>The basic SMTP reply code (RFC 5321) at the start of a diagnostic, after any <c>smtp;</c> type.</summary>
    internal static int? SmtpReplyCode(string? diagnostic)
    {
        if (diagnostic is null)
        {
            return null;
        }

        // The code is at the start: a few characters after any leading space are enough to read it.
        var head = diagnostic.AsSpan().TrimStart();
        var match = ReplyCode().Match(head.Length > 64 ? head[..64].ToString() : head.ToString());
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
    }

    private static string WithCode(string reason, string? code) =>
        code is null ? reason : $"{reason} ({code})";

    [GeneratedRegex(@"mailbox (is )?full|quota exceeded|over ?quota|exceeded (the )?(storage|quota)|insufficient (system )?storage|mailbox size limit", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex MailboxFull();

    [GeneratedRegex(@"user unknown|unknown user|no such (user|mailbox|recipient)|mailbox unavailable|does ?n[o']t exist|unknown (recipient|mailbox)|recipient ?not ?found|invalid (recipient|mailbox)|mailbox not found|no mailbox here|not our customer|unrouteable address|address rejected: user unknown|recipient address rejected: access denied", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex NoSuchUser();

    [GeneratedRegex(@"host or domain name not found|domain (name )?not found|no such domain|name service error|unknown domain", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex NoSuchDomain();

    [GeneratedRegex(@"account (has been |is )?disabled|mailbox (has been |is )?disabled|account (is )?inactive", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex Disabled();

    [GeneratedRegex(@"try again later|temporarily|greylist", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex Temporary();

    [GeneratedRegex(@"^\s*(?:[A-Za-z0-9-]+\s*;\s*)?([245][0-9][0-9])(?:[\s-]|$)", RegexOptions.NonBacktracking)]
    private static partial Regex ReplyCode();
}
