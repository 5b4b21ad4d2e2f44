using System.Diagnostics;
using System.Text;
using MimeKit;
using SendApi.Core.Inbound;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>
/// Anyone on the internet can send port 25 a megabyte of whatever they like, with a null sender,
/// to a return path or an inbound domain. Each body below, built to hurt one of the readers
/// (blank lines for multiline anchors, repeated markers and codes for the searches, long lines,
/// thousands of addresses, deep or wide MIME), goes through every way the classifier and the
/// reply-text extractor can read it and must come out in a bounded time: CPU, not correctness, is
/// what these tests guard. The bound is generous; the readers take milliseconds.
/// </summary>
public sealed class HostileBodyTests
{
    private const int Megabyte = 1 << 20;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Bodies => [.. HostileBodies.Keys];

    private static readonly Dictionary<string, Func<string>> HostileBodies = new()
    {
        ["blank lines"] = () => Repeat("\n", Megabyte),
        ["blank lines with spaces"] = () => Repeat(" \t \n", Megabyte),
        ["blank lines then one word"] = () => Repeat("\n", Megabyte) + "word\n",
        ["original-message markers"] = () => Repeat("------ original message follows\n", Megabyte),
        ["marker words without a line start"] = () => Repeat(" original message follows", Megabyte),
        ["header lines"] = () => Repeat("From: a@b.test\n", Megabyte),
        ["enhanced codes"] = () => Repeat("5.1.1 ", Megabyte),
        ["reply lines"] = () => Repeat("550 5.1.1 no\n", Megabyte),
        ["dotted digits"] = () => Repeat("5.1.1.", Megabyte),
        ["a long number"] = () => "5." + Repeat("1", Megabyte),
        ["one long line of letters"] = () => Repeat("a", Megabyte),
        ["one long line of dashes"] = () => Repeat("-", Megabyte),
        ["one long line of equals signs"] = () => Repeat("=", Megabyte),
        ["one long line of spaces"] = () => Repeat(" ", Megabyte) + "x",
        ["distinct addresses"] = () => Addresses(Megabyte, i => $"u{i}@d{i}.example.test "),
        ["addresses without replies"] = () => "This is a permanent error.\n" + Addresses(Megabyte, i => $"u{i}@example.test\n"),
        ["an address-like run"] = () => Repeat("a.", Megabyte) + "@" + Repeat("b-", 1000),
        ["attribution starts"] = () => Repeat("On Mon, someone\n", Megabyte),
        ["header block starts"] = () => Repeat("From: x\nSent: y\n", Megabyte),
        ["quoted lines"] = () => Repeat("> quoted\n", Megabyte),
        ["unclosed html attributes"] = () => Repeat("<div class=\"", Megabyte),
        ["unclosed html tags"] = () => Repeat("<blockquote", Megabyte),
        ["unclosed style"] = () => Repeat("<style>", Megabyte),
        ["unitext escapes"] = () => Repeat("\\x{41}\\x{", Megabyte),
        ["non-ascii digits"] = () => Repeat("5.١.١ ٥٥٠ 5٥٠-5.1.1 ", Megabyte),

        // Long matches: a linear engine still takes its time the first time it finds a match a
        // megabyte long, so none of the readers may let a regex match that much.
        ["whitespace before a reply"] = () => Repeat(" ", Megabyte) + "550 5.1.1 user unknown",
        ["a reply line a megabyte long"] = () => "550 5.1.1 " + Repeat("x", Megabyte),
        ["an underscore rule"] = () => Repeat("_", Megabyte),
        ["a dashed rule around a marker"] = () => Repeat("-", Megabyte) + " Original Message " + Repeat("-", Megabyte),
        ["an attribution a megabyte long"] = () => "On Mon, " + Repeat("x", Megabyte) + " wrote:",
        ["a header block a megabyte wide"] = () => "From: " + Repeat(" ", Megabyte) + "x\nSent: y\nTo: z\n",
        ["a sign-off a megabyte long"] = () => "Hi\nSent from my " + Repeat("x", Megabyte),
        ["a long local part"] = () => Repeat("a", Megabyte) + "@b.test",
        ["a long host name"] = () => "host " + Repeat("a.", Megabyte / 2) + "test",
        ["a style element spanning the body"] = () => "<style>" + Repeat("x", Megabyte) + "</style>",
        ["a tag spanning the body"] = () => "<div " + Repeat("a", Megabyte) + " class=\"gmail_quote\">",
        ["a head spanning the body"] = () => "<head>" + Repeat("\n", Megabyte) + "</head>",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_hostile_body_passes_every_reader_in_bounded_time(string name)
    {
        var body = HostileBodies[name]();

        foreach (var (reader, run) in Readers(body))
        {
            var watch = Stopwatch.StartNew();
            run();
            Assert.True(watch.Elapsed < Bound, $"{name} through {reader} took {watch.Elapsed.TotalSeconds:F1} s");
        }
    }

    [Fact]
    public void Deeply_nested_multiparts_are_read_in_bounded_time()
    {
        const int depth = 1000;
        var raw = new StringBuilder("From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < depth; i++)
        {
            raw.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        }

        raw.Append("Content-Type: text/plain\r\n\r\n550 5.1.1 user unknown\r\n");
        for (var i = depth - 1; i >= 0; i--)
        {
            raw.Append($"--b{i}--\r\n");
        }

        AssertEveryReaderIsBounded("deep nesting", Parse(raw.ToString()));
    }

    [Fact]
    public void A_multipart_with_many_parts_is_read_in_bounded_time()
    {
        var raw = new StringBuilder("From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
        for (var i = 0; raw.Length < Megabyte; i++)
        {
            raw.Append($"--b\r\nContent-Type: {(i % 2 == 0 ? "text/plain" : "text/html")}\r\n\r\nu{i}@x.test 550 5.1.1\r\n");
        }

        raw.Append("--b--\r\n");
        AssertEveryReaderIsBounded("many parts", Parse(raw.ToString()));
    }

    [Fact]
    public void A_delivery_status_with_many_recipient_groups_is_read_in_bounded_time()
    {
        var fields = new StringBuilder("Reporting-MTA: dns; mx.test\r\n\r\n");
        for (var i = 0; fields.Length < Megabyte; i++)
        {
            fields.Append($"Final-Recipient: rfc822; u{i}@x.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 \\x{{41}} no\r\n\r\n");
        }

        AssertEveryReaderIsBounded("many recipient groups", Report("delivery-status", "message/delivery-status", "failed", fields.ToString()));
    }

    [Fact]
    public void A_diagnostic_with_non_ascii_digits_is_read_without_an_error()
    {
        // \d matches every script's digits, and int.Parse refuses them: "5٥٠" once threw.
        var report = Report("delivery-status", "message/delivery-status", "failed",
            "Reporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; u@x.test\r\nAction: failed\r\nStatus: 5.١.١\r\nDiagnostic-Code: smtp; 5٥٠ 5.١.1 no\r\n");

        var bounce = Assert.IsType<Bounce>(InboundClassifier.Classify(report, ""));

        Assert.Equal("u@x.test", Assert.Single(bounce.Recipients).FinalRecipient);
    }

    /// <summary>Every way a body reaches the readers: as each kind of message the classifier tells apart, and as the text of a reply.</summary>
    private static IEnumerable<(string Reader, Action Run)> Readers(string body)
    {
        var html = $"<html><body><p>{body}</p></body></html>";
        yield return ("the classifier as a daemon's bounce", () => Classify(Plain("MAILER-DAEMON@mx.test", "Hello", body)));
        yield return ("the classifier as a bounce titled so", () => Classify(Plain("someone@mx.test", "Undelivered Mail Returned to Sender", body)));
        yield return ("the classifier as an HTML bounce", () => Classify(Html("MAILER-DAEMON@mx.test", "failure notice", html)));
        yield return ("the classifier as a DSN", () => Classify(Report("delivery-status", "message/delivery-status", body, body)));
        yield return ("the classifier as an ARF report", () => Classify(Report("feedback-report", "message/feedback-report", body, body)));
        yield return ("the classifier with a hostile subject", () => Classify(Plain("a@b.test", body.Length > 64 * 1024 ? body[..(64 * 1024)] : body, body)));
        yield return ("the legacy bounce reader", () => LegacyBounceReader.Read(Plain("MAILER-DAEMON@mx.test", "Undelivered", body)));
        yield return ("the quoted-headers reader", () => OriginalMessageReader.FromQuotedText(body));
        yield return ("the bounce rules", () => BounceRules.Classify("failed", body, body));
        yield return ("the status code search", () => StatusCode.Find(body));
        yield return ("the reply-text extractor", () => ReplyText.Extract(body));
        yield return ("the HTML reply-text extractor", () => ReplyText.ExtractFromHtml(html));
        yield return ("the inbound mail reader", () => Read(Plain("a@b.test", "Re: hello", body)));
    }

    private static void AssertEveryReaderIsBounded(string name, MimeMessage message)
    {
        foreach (var (reader, run) in new (string, Action)[]
        {
            ("the classifier", () => Classify(message)),
            ("the legacy bounce reader", () => LegacyBounceReader.Read(message)),
            ("the inbound mail reader", () => Read(message)),
        })
        {
            var watch = Stopwatch.StartNew();
            run();
            Assert.True(watch.Elapsed < Bound, $"{name} through {reader} took {watch.Elapsed.TotalSeconds:F1} s");
        }
    }

    private static void Classify(MimeMessage message)
    {
        _ = InboundClassifier.Classify(message, "");
        _ = InboundClassifier.Classify(message, "sender@elsewhere.test");
    }

    private static void Read(MimeMessage message) =>
        _ = InboundMailReader.Read(message, "in_x", "acct", DateTimeOffset.UnixEpoch,
            new InboundEnvelope("", ["x@reply.test"], "127.0.0.1", "mx.test", false), 1, autoReply: false);

    private static MimeMessage Plain(string from, string subject, string body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("bounces+0123456789abcdef0123456789abcdef-0@bounces.test"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    private static MimeMessage Html(string from, string subject, string html)
    {
        var message = Plain(from, subject, "");
        message.Body = new TextPart("html") { Text = html };
        return message;
    }

    /// <summary>A multipart/report as a reporting MTA writes it, with <paramref name="fields"/> as the machine-readable part.</summary>
    private static MimeMessage Report(string reportType, string mediaType, string text, string fields) =>
        Parse($"From: MAILER-DAEMON@mx.test\r\nTo: bounces+0123456789abcdef0123456789abcdef-0@bounces.test\r\nSubject: Report\r\n"
            + $"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type={reportType}; boundary=\"r\"\r\n\r\n"
            + $"--r\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
            + $"--r\r\nContent-Type: {mediaType}\r\n\r\n{fields}\r\n"
            + "--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <m@shop.test>\r\nTo: u@x.test\r\n\r\n--r--\r\n");

    private static MimeMessage Parse(string raw) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw)));

    private static string Repeat(string unit, int length)
    {
        var text = new StringBuilder(length + unit.Length);
        while (text.Length < length)
        {
            text.Append(unit);
        }

        return text.ToString();
    }

    private static string Addresses(int length, Func<int, string> address)
    {
        var text = new StringBuilder(length + 64);
        for (var i = 0; text.Length < length; i++)
        {
            text.Append(address(i));
        }

        return text.ToString();
    }
}
