using System.Text.RegularExpressions;
using MimeKit;

namespace SendApi.Inbound;

/// <summary>
/// Plain-text bounces from MTAs that write no <c>message/delivery-status</c> (qmail, older Exim and
/// Sendmail setups, some hosted gateways). Recognised by who sends them and how they are titled;
/// the recipients and codes are read from the explanation above the returned copy.
/// </summary>
internal static partial class LegacyBounceReader
{
    /// <summary>
    /// A bounce's explanation and the header block of the copy it returns sit at the top; a bound
    /// keeps a hostile 10 MB body from costing more than this.
    /// </summary>
    private const int MaxScannedChars = 256 * 1024;

    /// <summary>
    /// As many addresses as a message of ours can have recipients (Messages__MaxRecipients is at
    /// most 1000); a text naming more is not a list of failures, and only the first are read.
    /// </summary>
    private const int MaxRecipients = 1000;

    /// <summary>Sent by a mail system (MAILER-DAEMON, postmaster, "Mail Delivery System") and titled or worded as a failure.</summary>
    public static bool IsFromMailerDaemon(MimeMessage message) =>
        IsDaemon(message.From.Mailboxes.FirstOrDefault())
        && (HasBounceSubject(message) || FailureWording().IsMatch(ExplanationOf(BodyText(message))));

    /// <summary>
    /// Titled and worded as a bounce, from a sender that is not obviously a mail system (gateways
    /// that send as the postmaster's display name, hosted services). Auto-replies also come with a
    /// null envelope sender (RFC 3834 answers the return path), so the sender alone proves nothing
    /// and the caller checks for auto-replies first.
    /// </summary>
    /// <param name="envelopeSender">MAIL FROM as received: "" for the null sender, null when unknown.</param>
    public static bool IsTitledAsBounce(MimeMessage message, string? envelopeSender)
    {
        var plausibleSender = envelopeSender is null || envelopeSender.Length == 0 || envelopeSender == "<>" || IsDaemonAddress(envelopeSender);
        return plausibleSender && HasBounceSubject(message)
            && FailureWording().IsMatch(ExplanationOf(BodyText(message)));
    }

    private static string BodyText(MimeMessage message)
    {
        var text = MimeParts.BodyText(message);
        return text.Length > MaxScannedChars ? text[..MaxScannedChars] : text;
    }

    private static bool HasBounceSubject(MimeMessage message) =>
        message.Subject is { } subject && BounceSubject().IsMatch(Head(subject.TrimStart(), 200));

    private static string Head(string text, int length) => text.Length > length ? text[..length] : text;

    public static Bounce Read(MimeMessage message)
    {
        var body = BodyText(message);
        var explanation = ExplanationOf(body);
        var original = OriginalMessageReader.FromParts(message);
        if (original.MessageId is null && original.ReturnPath is null)
        {
            var quoted = OriginalMessageReader.FromQuotedText(body[explanation.Length..]);
            if (quoted.MessageId is not null || quoted.ReturnPath is not null || quoted.To.Count > 0)
            {
                original = quoted;
            }
        }

        var ignored = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var mailbox in message.From.Mailboxes.Concat(message.To.Mailboxes))
        {
            ignored.Add(mailbox.Address);
        }

        if (original.ReturnPath is not null)
        {
            ignored.Add(original.ReturnPath);
        }

        // Exim names the failed addresses in a header of its own: more reliable than reading prose.
        var failed = (message.Headers["X-Failed-Recipients"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var recipients = Recipients(explanation, ignored, failed);
        if (recipients.Count == 0)
        {
            // Nothing names the recipient: say what failed for the message as a whole, and let
            // the caller pair it with the return path's recipient.
            var onlyTo = original.To.Count == 1 ? original.To[0] : null;
            recipients = [Recipient(onlyTo, explanation)];
        }

        return new Bounce(recipients, IsRfc3464: false, original);
    }

    private static List<BouncedRecipient> Recipients(string explanation, HashSet<string> ignored, string[] failed)
    {
        // Each address's context runs from where it is first named to where the next one is: both
        // Exim ("  x@y\n    SMTP error … 550 …") and qmail ("<x@y>:\n… 550 …") put the reply after it.
        var first = new List<(string Address, int Index)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var match = Address().Match(explanation); match.Success && first.Count < MaxRecipients; match = match.NextMatch())
        {
            var address = match.Value;
            if (!ignored.Contains(address) && !IsDaemonAddress(address) && seen.Add(address))
            {
                first.Add((address, match.Index));
            }
        }

        if (failed.Length > 0)
        {
            var named = new HashSet<string>(failed, StringComparer.OrdinalIgnoreCase);
            first.RemoveAll(f => !named.Contains(f.Address));
            foreach (var address in failed.Where(a => !seen.Contains(a)).Take(MaxRecipients))
            {
                first.Add((address, explanation.Length));
            }
        }

        // An address named with no reply of its own (a one-line summary) shares the whole text's,
        // read once for all of them.
        BouncedRecipient? whole = null;
        var recipients = new List<BouncedRecipient>();
        for (var i = 0; i < first.Count; i++)
        {
            var end = i + 1 < first.Count ? first[i + 1].Index : explanation.Length;
            var context = explanation[first[i].Index..end];
            recipients.Add(StatusCode.Find(context) is null && FirstReply(context) is null && BounceRules.ByText(context) is null
                ? (whole ??= Recipient(null, explanation)) with { FinalRecipient = first[i].Address }
                : Recipient(first[i].Address, context));
        }

        return recipients;
    }

    private static BouncedRecipient Recipient(string? address, string context)
    {
        var diagnostic = FirstReply(context);
        var status = StatusCode.Find(diagnostic) ?? StatusCode.Find(context);
        var action = Delayed().IsMatch(context) && !Permanent().IsMatch(context) ? "delayed" : "failed";
        var (kind, reason) = BounceRules.Classify(action, status?.ToString(), diagnostic ?? context);
        if (kind == BounceKind.Unknown && action == "failed" && BounceRules.ByText(context) is { } byText)
        {
            (kind, reason) = byText;
        }

        return new BouncedRecipient(address, null, action, status?.ToString(), diagnostic, RemoteHost(context), kind, reason);
    }

    /// <summary>The part above the copy of the original: quoted headers and body must not pass for the bounce's own words.</summary>
    internal static string ExplanationOf(string body)
    {
        var match = OriginalMarker().Match(body);
        return match.Success ? body[..match.Index] : body;
    }

    /// <summary>The first SMTP reply line in the text, e.g. "550 5.1.1 &lt;x@y&gt;: User unknown", up to 512 characters (RFC 5321's longest reply line).</summary>
    private static string? FirstReply(string text)
    {
        var match = SmtpReply().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var start = match.Groups["code"].Index;
        var end = text.AsSpan(start).IndexOfAny('\r', '\n');
        var length = Math.Min(end < 0 ? text.Length - start : end, 512);
        return text.Substring(start, length).Trim();
    }

    private static string? RemoteHost(string context)
    {
        var match = Host().Match(context);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static bool IsDaemon(MailboxAddress? from) =>
        from is not null && (IsDaemonAddress(from.Address) || DaemonName().IsMatch(from.Name ?? ""));

    private static bool IsDaemonAddress(string address)
    {
        var at = address.IndexOf('@');
        var local = (at < 0 ? address : address[..at]).Trim('<', '>', ' ');
        return local.Equals("mailer-daemon", StringComparison.OrdinalIgnoreCase)
            || local.Equals("postmaster", StringComparison.OrdinalIgnoreCase)
            || local.Equals("mail-daemon", StringComparison.OrdinalIgnoreCase)
            || local.Equals("mailerdaemon", StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"^\s*(undeliver(ed|able)|undelivered mail returned to sender|delivery status notification \((failure|delay)\)|mail delivery (failed|failure|system)|failure notice|returned mail|delivery (failure|failed|notification)|non[- ]?delivery|message not delivered|could not send message|mail system error|warning: could not send message)", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex BounceSubject();

    [GeneratedRegex(@"could not be delivered|wasn't able to deliver|was not able to deliver|delivery (to the following|has failed)|permanent (error|failure)|undeliverable|failed permanently|(user|recipient) unknown|no such user|mailbox (unavailable|full)|returned to sender|delivery failed|couldn't be delivered|does not like recipient|\b5[0-9][0-9][ -]", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex FailureWording();

    [GeneratedRegex(@"^\s*(-{2,}|={2,})?\s*(this is a copy of the message|below this line is a copy of the message|original message follows|the (original )?message (headers|header) (was|were|follows|is following)|the header of the original message|------ ?original message|returned message|unsent message below|original message header|message headers follow)", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.NonBacktracking)]
    private static partial Regex OriginalMarker();

    [GeneratedRegex(@"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+", RegexOptions.NonBacktracking)]
    private static partial Regex Address();

    // Where a reply line starts: "550 5.1.1 <x@y>: User unknown", "550-5.1.1 …", "Remote host
    // said: 554 …". Not inside a longer number or an address ("10.2.550"): the character before,
    // when there is one, is consumed instead of looked behind at, which the linear engine cannot
    // do. The rest of the line is taken in code, so that no match runs the length of a long line.
    [GeneratedRegex(@"(?:^|[^0-9.])(?<code>[245][0-9][0-9])[ -]", RegexOptions.NonBacktracking)]
    private static partial Regex SmtpReply();

    [GeneratedRegex(@"(temporar(y|ily)|delayed|will (keep|continue) trying|still (being )?retried|still trying|not yet been delivered|warning only)", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex Delayed();

    [GeneratedRegex(@"permanent|giving up|given up|failed permanently", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex Permanent();

    [GeneratedRegex(@"\bhost\s+([A-Za-z0-9.-]+\.[A-Za-z]{2,}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex Host();

    [GeneratedRegex(@"mail delivery (system|subsystem)|mailer[- ]daemon", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex DaemonName();
}
