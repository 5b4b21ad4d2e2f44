using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Inbound;
using SendApi.Tests.SmtpFuzz;

namespace SendApi.IntegrationTests.Smtp;

/// <summary>
/// What the application fuzz says on each listener: the shared generic vocabulary plus the
/// addresses and bodies the application's own handlers decide on. For port 25 these come from a
/// message the application really sent (captured): its signed return paths, tampered copies of
/// them, its Message-ID inside real DSN and ARF reports, the postmaster, the inbound domain and
/// look-alike spellings of it, and domains that are not ours.
/// </summary>
internal static partial class FuzzedMail
{
    public const string ReturnPathDomain = "bounces.sendapi.test";
    public const string InboundDomain = "reply.acme.test";
    public const string HostName = "mx.sendapi.test";

    /// <summary>Suppressed before the fuzz: the submissions name it, plain and quoted.</summary>
    public const string Suppressed = "gone@example.test";

    /// <summary>Never a recipient of anything: reports about it name it, and it must never be suppressed.</summary>
    public const string Victim = "victim@example.test";

    /// <summary>The message sent before the fuzz, as its recipients' MX hosts would have received it.</summary>
    /// <param name="ReturnPaths">Each transaction's return path: the "several" (-m-) form for example.test, the single-recipient form for other.test.</param>
    public sealed record Sent(string Id, IReadOnlyList<string> Recipients, IReadOnlyList<string> ReturnPaths, string MessageIdHeader);

    private static readonly string[] WholeMessages =
    [
        "From: Acme <orders@acme.test>\r\nTo: bob@example.test\r\nSubject: fuzz\r\n\r\nHello",
        "From: orders@acme.test\r\nBcc: audit@example.test\r\nX-SendApi-Tags: fuzz\r\nX-SendApi-Metadata-order: 42\r\nX-SendApi-Track: opens, clicks\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n<p>Hi</p> https://example.test/a",
        "From: Acme <orders@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nHi\r\n--x\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--x--",
    ];

    public static SmtpFuzzVocabulary Submission(string password) => new(
        password,
        Senders: ["orders@acme.test", "alice@example.test"],
        Recipients: ["bob@example.test", "carol@other.test", Suppressed, "\"gone\"@example.test"],
        OddRecipients: ["postmaster", "bob@ｅｘａｍｐｌｅ.test", "\"q q\"@example.test", "x@[127.0.0.1]", "GONE@EXAMPLE.TEST"],
        Addresses: ["<\"gone\"@example.test>", "<bob@ｅｘａｍｐｌｅ.test>", "<" + new string('l', 65) + "@example.test>"],
        Bodies:
        [
            "From: Acme <orders@acme.test>", "To: bob@example.test", "Bcc: hidden@example.test", "X-SendApi-Tags: fuzz, smtp",
            "X-SendApi-Metadata-order: 42", "Idempotency-Key: fuzz-1", "X-SendApi-Track: opens, clicks", "X-SendApi-Unsubscribe: true",
            "Subject: =?utf-8?q?caf=C3=A9?=", "Content-Type: multipart/mixed; boundary=x", "--x", "--x--", "Content-Transfer-Encoding: base64",

            // Whole messages, each in twice, so that fuzzed transactions also reach the intake and get queued (captured).
            .. Enumerable.Repeat(WholeMessages, 2).SelectMany(m => m),
        ]);

    public static SmtpFuzzVocabulary Inbound(Sent sent)
    {
        var lookAlikes = new[] { "support@ｒｅｐｌｙ.acme.test", "support@reply。acme。test", "\"quoted local\"@reply.acme.test", "support@REPLY.ACME.TEST" };
        var foreign = Foreign(sent);
        return new(
            "not-used-on-port-25",
            Senders: ["", "MAILER-DAEMON@mx.example.test", "fbl@feedback.example.test", sent.Recipients[0]],
            Recipients: [.. sent.ReturnPaths, $"support@{InboundDomain}", "postmaster", $"postmaster@{InboundDomain}"],
            OddRecipients: [.. Tampered(sent), .. lookAlikes, .. foreign],
            Addresses: [.. sent.ReturnPaths.Concat(Tampered(sent)).Concat(lookAlikes).Concat(foreign).Select(a => $"<{a}>")],
            Bodies:
            [
                .. Reports(sent),
                "Content-Type: multipart/report; report-type=delivery-status; boundary=b", "--b", "Content-Type: message/delivery-status",
                $"Final-Recipient: rfc822; {sent.Recipients[0]}", $"Final-Recipient: rfc822; {Victim}", "Action: failed", "Status: 5.1.1",
                "Content-Type: message/feedback-report", "Feedback-Type: abuse", $"Original-Rcpt-To: {Victim}",
                $"In-Reply-To: <{sent.MessageIdHeader}>", $"Message-ID: <{sent.MessageIdHeader}>", "Auto-Submitted: auto-replied",
                string.Concat(Enumerable.Repeat("\r\n", 300)), string.Concat(Enumerable.Repeat("--b\r\n", 100)),
            ]);
    }

    /// <summary>Port-25 recipients a relay would accept and we must not: none of them is at a domain of ours.</summary>
    public static IReadOnlyList<string> Foreign(Sent sent) =>
    [
        "x@gmail.test", "postmaster@example.test", $"support@{InboundDomain}.evil.test", "support@reply-acme.test",
        $"\"support@{InboundDomain}\"@evil.test", $"support%{InboundDomain}@evil.test", $"@{InboundDomain}:x@evil.test",
        $"{LocalPart(sent.ReturnPaths[0])}@gmail.test", $"support@{InboundDomain}@evil.test", "support@xn--rply-bpa.acme.test",
        "support@rеply.acme.test", // a Cyrillic "е": looks like ours, is another domain
        $"{Victim}", $"postmaster@{ReturnPathDomain}.evil.test",
    ];

    /// <summary>Each return path changed in one place (its signature, its recipient index, its message id, or unsigned): none names a mailbox.</summary>
    public static IReadOnlyList<string> Tampered(Sent sent)
    {
        var tampered = new List<string>();
        foreach (var returnPath in sent.ReturnPaths)
        {
            var parts = VerpAddress().Match(returnPath);
            Assert.True(parts.Success, $"not a signed return path: {returnPath}");
            var (id, index, mac) = (parts.Groups["id"].Value, parts.Groups["index"].Value, parts.Groups["mac"].Value);
            var otherIndex = index == "0" ? "1" : "0";
            tampered.Add($"bounces+{id}-{index}-{mac[..^1]}{(mac[^1] == 'a' ? 'b' : 'a')}@{ReturnPathDomain}");
            tampered.Add($"bounces+{id}-{otherIndex}-{mac}@{ReturnPathDomain}");
            tampered.Add($"bounces+{id[..^1]}{(id[^1] == '0' ? '1' : '0')}-{index}-{mac}@{ReturnPathDomain}");
            tampered.Add($"bounces+{id}-{(index == "m" ? "0" : index)}@{ReturnPathDomain}");
        }

        return tampered;
    }

    /// <summary>Real reports (the unit tests' DSN, ARF and legacy bounce fixtures) about the sent message: about its recipient, and about someone else.</summary>
    private static IEnumerable<string> Reports(Sent sent)
    {
        foreach (var about in new[] { sent.Recipients[0], Victim })
        {
            yield return Crlf(InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPaths[0], sent.MessageIdHeader, "carol@example.org", about));
            yield return Crlf(InboundSmtp.Fixture("arf-abuse-report.eml", sent.ReturnPaths[0], sent.MessageIdHeader, "kate@mailprovider.example", about));
            yield return Crlf(InboundSmtp.Fixture("qmail-failure-notice.eml", sent.ReturnPaths[^1], sent.MessageIdHeader, "jack@example.net", about));
        }
    }

    private static string LocalPart(string address) => address[..address.LastIndexOf('@')];

    private static string Crlf(string text) => LineEnd().Replace(text.TrimEnd(), "\r\n");

    [GeneratedRegex(@"\Abounces\+(?<id>[0-9a-z]+)-(?<index>\d+|m)-(?<mac>[a-z2-7]+)@", RegexOptions.NonBacktracking)]
    private static partial Regex VerpAddress();

    [GeneratedRegex(@"\r?\n", RegexOptions.NonBacktracking)]
    private static partial Regex LineEnd();
}
