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
    /// <summary>Sent by a mail system (MAILER-DAEMON, postmaster, "Mail Delivery System") and titled or worded as a failure.</summary>
    public static bool IsFromMailerDaemon(MimeMessage message) =>
        IsDaemon(message.From.Mailboxes.FirstOrDefault())
        && (HasBounceSubject(message) || FailureWording().IsMatch(ExplanationOf(MimeParts.BodyText(message))));

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
            && FailureWording().IsMatch(ExplanationOf(MimeParts.BodyText(message)));
    }

    private static bool HasBounceSubject(MimeMessage message) =>
        message.Subject is { } subject && BounceSubject().IsMatch(subject);

    public static Bounce Read(MimeMessage message)
    {
        var body = MimeParts.BodyText(message);
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
        foreach (Match match in Address().Matches(explanation))
        {
            var address = match.Value;
            if (ignored.Contains(address) || IsDaemonAddress(address) || first.Any(f => f.Address.Equals(address, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            first.Add((address, match.Index));
        }

        if (failed.Length > 0)
        {
            first.RemoveAll(f => !failed.Contains(f.Address, StringComparer.OrdinalIgnoreCase));
            foreach (var address in failed.Where(a => !first.Any(f => f.Address.Equals(a, StringComparison.OrdinalIgnoreCase))))
            {
                first.Add((address, explanation.Length));
            }
        }

        var recipients = new List<BouncedRecipient>();
        for (var i = 0; i < first.Count; i++)
        {
            var end = i + 1 < first.Count ? first[i + 1].Index : explanation.Length;
            var context = explanation[first[i].Index..end];

            // An address named with no reply of its own (a one-line summary) shares the whole text's.
            if (StatusCode.Find(context) is null && SmtpReply().Match(context) is { Success: false } && BounceRules.ByText(context) is null)
            {
                context = explanation;
            }

            recipients.Add(Recipient(first[i].Address, context));
        }

        return recipients;
    }

    private static BouncedRecipient Recipient(string? address, string context)
    {
        var reply = SmtpReply().Match(context);
        var diagnostic = reply.Success ? reply.Value.Trim() : null;
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

    [GeneratedRegex(@"^\s*(undeliver(ed|able)|undelivered mail returned to sender|delivery status notification \((failure|delay)\)|mail delivery (failed|failure|system)|failure notice|returned mail|delivery (failure|failed|notification)|non[- ]?delivery|message not delivered|could not send message|mail system error|warning: could not send message)", RegexOptions.IgnoreCase)]
    private static partial Regex BounceSubject();

    [GeneratedRegex(@"could not be delivered|wasn't able to deliver|was not able to deliver|delivery (to the following|has failed)|permanent (error|failure)|undeliverable|failed permanently|(user|recipient) unknown|no such user|mailbox (unavailable|full)|returned to sender|delivery failed|couldn't be delivered|does not like recipient|\b5\d\d[ -]", RegexOptions.IgnoreCase)]
    private static partial Regex FailureWording();

    [GeneratedRegex(@"^\s*(-{2,}|={2,})?\s*(this is a copy of the message|below this line is a copy of the message|original message follows|the (original )?message (headers|header) (was|were|follows|is following)|the header of the original message|------ ?original message|returned message|unsent message below|original message header|message headers follow)", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex OriginalMarker();

    [GeneratedRegex(@"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")]
    private static partial Regex Address();

    // A reply line: "550 5.1.1 <x@y>: User unknown", "550-5.1.1 …", "Remote host said: 554 …".
    [GeneratedRegex(@"(?<![\d.])[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s)?[^\r\n]*")]
    private static partial Regex SmtpReply();

    [GeneratedRegex(@"(temporar(y|ily)|delayed|will (keep|continue) trying|still (being )?retried|still trying|not yet been delivered|warning only)", RegexOptions.IgnoreCase)]
    private static partial Regex Delayed();

    [GeneratedRegex(@"permanent|giving up|given up|failed permanently", RegexOptions.IgnoreCase)]
    private static partial Regex Permanent();

    [GeneratedRegex(@"\bhost\s+([A-Za-z0-9.-]+\.[A-Za-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})", RegexOptions.IgnoreCase)]
    private static partial Regex Host();

    [GeneratedRegex(@"mail delivery (system|subsystem)|mailer[- ]daemon", RegexOptions.IgnoreCase)]
    private static partial Regex DaemonName();
}
