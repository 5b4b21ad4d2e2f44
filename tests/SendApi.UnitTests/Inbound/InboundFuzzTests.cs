using System.Diagnostics;
using System.Text;
using MimeKit;
using SendApi.Core.Inbound;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

/// <summary>
/// Port-25 bodies assembled at random (fixed seed, so a failure repeats) from the pieces the
/// readers look for, in every arrangement a hand-written test would not think of: bounce
/// markers, codes in several scripts' digits, addresses, report parts, broken MIME, stray bytes.
/// Whatever arrives, classifying and reading it must neither throw nor take long.
/// </summary>
public sealed class InboundFuzzTests
{
    private const int Seed = 20261130;
    private const int Messages = 400;
    private static readonly TimeSpan BoundPerMessage = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BoundInAll = TimeSpan.FromSeconds(60);

    private static readonly string[] Fragments =
    [
        "", "\r\n", "\n", "\r\n\r\n", " ", "\t", "-- \r\n", "> ", ">> quoted\r\n",
        "original message follows", "------ This is a copy of the message, including all the headers. ------",
        "Below this line is a copy of the message.", "The original message headers were:",
        "From: ", "To: ", "Message-ID: <", ">", "Return-Path: <", "Subject: ", "Sent: ", "Date: ",
        "5.1.1", "5.2.2", "4.4.7", "5.0.0", "2.0.0", "550 ", "550-", "451 ", "554 5.7.1 ", "5.1.1.1", "192.0.2.1",
        "5.١.١", "٥٥٠ ", "5٥٠", "５５０ ５.１.１", "5.1.1234", "5.1.",
        "user unknown", "mailbox full", "permanent error", "will keep trying", "host mx.test said:",
        "Final-Recipient: rfc822; ", "Original-Recipient: utf-8; ", "Action: failed", "Action: delayed", "Status: ",
        "Diagnostic-Code: smtp; ", "Remote-MTA: dns; ", "\\x{41}", "\\x{110000}", "\\x{D800}", "\\x{",
        "Feedback-Type: abuse", "Original-Rcpt-To: <", "Original-Mail-From: <",
        "bounces+0123456789abcdef0123456789abcdef-0@bounces.test", "bounces+x-m@bounces.test",
        "carol@example.test", "<carol@example.test>", "ü@bücher.test", "\"quoted local\"@x.test", "@", "@@",
        "On Mon, 1 Jan 2026, Shop <a@shop.test>", "wrote:", "-----Original Message-----", "________________________________",
        "Sent from my iPhone", "<div class=\"gmail_quote\">", "<blockquote>", "<br>", "<p>", "</p>", "<style>", "</style>", "&amp;", "&#x0;",
        "=?utf-8?B?", "=?x-unknown?Q?=FF?=", "=FF", "=\r\n", "\0", "\u00ff", "\ud83d\ude00", "\ufffd",
    ];

    private static readonly string[] Senders = ["", "MAILER-DAEMON@mx.test", "postmaster@mx.test", "carol@example.test"];

    [Fact]
    public void Random_port_25_bodies_are_classified_and_read_without_errors_in_bounded_time()
    {
        var random = new Random(Seed);
        var all = Stopwatch.StartNew();
        for (var n = 0; n < Messages; n++)
        {
            var raw = RandomMessage(random);
            var sender = Senders[random.Next(Senders.Length)];
            var watch = Stopwatch.StartNew();
            MimeMessage message;
            try
            {
                message = MimeMessage.Load(new MemoryStream(raw));
            }
            catch (FormatException)
            {
                // Answered 554 5.6.0 by the handler before any reader sees it.
                continue;
            }

            try
            {
                var report = InboundClassifier.Classify(message, sender);
                _ = InboundMailReader.Read(message, "in_x", "acct", DateTimeOffset.UnixEpoch,
                    new InboundEnvelope(sender, ["x@reply.test"], "127.0.0.1", "mx.test", false), raw.Length, report is AutoReply);
            }
            catch (Exception ex)
            {
                Assert.Fail($"Message {n} (seed {Seed}) threw {ex}\n--- message ---\n{Encoding.UTF8.GetString(raw)}");
            }

            Assert.True(watch.Elapsed < BoundPerMessage, $"Message {n} (seed {Seed}) took {watch.Elapsed.TotalSeconds:F1} s");
        }

        Assert.True(all.Elapsed < BoundInAll, $"{Messages} messages took {all.Elapsed.TotalSeconds:F1} s");
    }

    private static byte[] RandomMessage(Random random)
    {
        var text = new StringBuilder();
        text.Append("From: ").Append(Pick(random, ["MAILER-DAEMON@mx.test", "Mail Delivery System <x@mx.test>", "carol@example.test", Text(random, 3)])).Append("\r\n");
        text.Append("To: bounces+0123456789abcdef0123456789abcdef-0@bounces.test\r\n");
        text.Append("Subject: ").Append(Pick(random, ["Undelivered Mail Returned to Sender", "failure notice", "Out of Office", "Re: hi", Text(random, 4)])).Append("\r\n");
        if (random.Next(3) == 0)
        {
            text.Append(Pick(random, ["Auto-Submitted: auto-replied", "X-Failed-Recipients: ", "In-Reply-To: <", "References: <", "Precedence: auto_reply"]))
                .Append(Text(random, 2)).Append("\r\n");
        }

        text.Append("MIME-Version: 1.0\r\n");
        switch (random.Next(5))
        {
            case 0:
                text.Append("Content-Type: text/plain; charset=").Append(Pick(random, ["utf-8", "us-ascii", "x-unknown", "iso-8859-1"])).Append("\r\n\r\n");
                text.Append(Text(random, random.Next(200)));
                break;
            case 1:
                text.Append("Content-Type: text/html\r\n\r\n").Append(Text(random, random.Next(200)));
                break;
            default:
                Multipart(random, text, depth: 0);
                break;
        }

        // Now and then a message cut anywhere, as a dropped connection leaves it.
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        return random.Next(8) == 0 ? bytes[..random.Next(bytes.Length + 1)] : bytes;
    }

    private static void Multipart(Random random, StringBuilder text, int depth)
    {
        var boundary = $"b{depth}{random.Next(1000)}";
        var reportType = Pick(random, ["delivery-status", "feedback-report", "disposition-notification", ""]);
        text.Append(random.Next(2) == 0
            ? $"Content-Type: multipart/report; report-type={reportType}; boundary=\"{boundary}\"\r\n\r\n"
            : $"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n");
        for (var part = random.Next(5); part >= 0; part--)
        {
            text.Append($"--{boundary}\r\n");
            if (depth < 4 && random.Next(5) == 0)
            {
                Multipart(random, text, depth + 1);
                continue;
            }

            text.Append("Content-Type: ").Append(Pick(random,
                ["text/plain", "text/html", "message/delivery-status", "message/global-delivery-status", "message/feedback-report",
                 "text/rfc822-headers", "message/rfc822", "message/global-headers", "application/octet-stream"])).Append("\r\n");
            if (random.Next(4) == 0)
            {
                text.Append("Content-Transfer-Encoding: ").Append(Pick(random, ["base64", "quoted-printable", "8bit", "x-bogus"])).Append("\r\n");
            }

            text.Append("\r\n").Append(Text(random, random.Next(150))).Append("\r\n");
        }

        if (random.Next(4) != 0)
        {
            text.Append($"--{boundary}--\r\n");
        }
    }

    private static string Text(Random random, int fragments)
    {
        var text = new StringBuilder();
        for (var i = 0; i < fragments; i++)
        {
            text.Append(random.Next(10) switch
            {
                0 => new string((char)random.Next(1, 0x2FFF), random.Next(1, 20)),
                1 => new string(Pick(random, ["\n", " ", "-", "5", ".", "="])[0], random.Next(1, 3000)),
                _ => Pick(random, Fragments),
            });
            if (random.Next(4) == 0)
            {
                text.Append("\r\n");
            }
        }

        return text.ToString();
    }

    private static string Pick(Random random, string[] choices) => choices[random.Next(choices.Length)];
}
