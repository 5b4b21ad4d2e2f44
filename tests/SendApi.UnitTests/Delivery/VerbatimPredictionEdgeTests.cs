using System.Text;
using MimeKit;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Transport;
using static SendApi.UnitTests.Delivery.MailKitOracle;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// Stored bytes as a client may have submitted them (raw SMTP submission keeps them as sent):
/// whenever <see cref="UnchangedByPrepare"/> says a server gets them as stored, they must be
/// exactly what MailKit would have written for that server.
/// </summary>
public sealed class VerbatimPredictionEdgeTests
{
    private static readonly EncodingConstraint[] Servers = [EncodingConstraint.SevenBit, EncodingConstraint.EightBit, EncodingConstraint.None];

    private const string Head = "From: a@acme.test\nTo: b@example.test\nSubject: s\nMIME-Version: 1.0\n";

    public static TheoryData<string, string> Submitted() => new()
    {
        { "boundary with trailing space", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b  \nContent-Type: text/plain\n\nhi\n--b--\n" },
        { "headers end without blank line", Head + "Content-Type: text/plain\nnot a header line\nbody\n" },
        { "998 octets and CRLF", Head.Replace("\n", "\r\n") + "Content-Type: text/plain\r\n\r\n" + new string('a', 998) + "\r\nx\r\n" },
        { "998 octets then CR CR LF", Head + "Content-Type: text/plain\n\n" + new string('a', 998) + "\r\r\nx\n" },
        { "missing end boundary", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n" },
        { "preamble and epilogue", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\npre\n--b\nContent-Type: text/plain\n\nhi\n--b--\nepi\n" },
        { "headers only, no blank line", Head + "Content-Type: text/plain\n" },
        { "empty body", Head + "Content-Type: text/plain\n\n" },
        { "From at first content line", Head + "Content-Type: text/plain\n\nFrom me\n" },
        { "bare CR in a header", Head + "X-A: a\rb\nContent-Type: text/plain\n\nhi\n" },
        { "8-bit header name", Head + "Süb: x\nContent-Type: text/plain\n\nhi\n" },
        { "folded with a tab", Head + "X-F: a\n\tb\nContent-Type: text/plain\n\nhi\n" },
        { "odd CTE casing", Head + "Content-Type: text/plain\nContent-Transfer-Encoding:  8BIT (x)\n\nGrüße\n" },
        { "no MIME-Version, no content headers", "From: a@acme.test\nSubject: s\n\nhi\n" },
        { "bcc in a nested part", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\nBcc: x@y.test\n\nhi\n--b--\n" },
        { "content-length at top", Head + "Content-Length: 3\nContent-Type: text/plain\n\nhi\n" },
        { "nested multipart, CRLF boundaries", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\r\nContent-Type: multipart/alternative; boundary=\"c\"\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nhi\r\n--c--\r\n--b--\r\n" },
        { "last part line without newline before boundary", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n--b--" + "\n" },
        { "CR only line ends", Head + "Content-Type: text/plain\n\nline\rline\rend\n" },
        { "a line starting with From in headers region of a part", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nx\n>From y\n--b--\n" },
        { "multipart/signed", Head + "Content-Type: multipart/signed; boundary=\"b\"; protocol=\"application/pgp-signature\"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nGrüße\n--b\nContent-Type: application/pgp-signature\n\nsig\n--b--\n" },
        { "bom-less but leading blank line", "\n" + Head + "Content-Type: text/plain\n\nhi\n" },
        { "text with charset and 8bit in 7bit server", Head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nplain\n" },
        { "two content-type headers", Head + "Content-Type: text/plain\nContent-Type: text/html\n\nhi\n" },
        { "boundary line with trailing tab mid", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n--b\t\nContent-Type: text/plain\n\nho\n--b--\n" },
        { "end boundary with trailing junk", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n--b-- trailing\n" },
        { "message/global", Head + "Content-Type: message/global\n\nFrom: x@y\n\nhi\n" },
        { "text/rfc822-headers", Head + "Content-Type: text/rfc822-headers\n\nFrom: x@y\n" },
        { "header continuation whitespace-only line", Head + "X-W: a\n \nContent-Type: text/plain\n\nhi\n" },
        { "multipart without boundary parameter", Head + "Content-Type: multipart/mixed\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n" },
        { "empty multipart", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b--\n" },
        { "nested missing end boundary", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: multipart/alternative; boundary=\"c\"\n\n--c\nContent-Type: text/plain\n\nhi\n--b--\n" },
        { "boundary prefix in content", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n--bogus\n--b--\n" },
        { "inner boundary prefixed by outer", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nhi\n--b1--\n--b--\n" },
        { "epilogue without final newline", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\nepi" },
        { "part without headers", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\nhi\n--b--\n" },
        { "part with headers but no blank line", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n--b--\n" },
        { "format flowed", Head + "Content-Type: text/plain; format=flowed; delsp=yes\n\nsoft \nbreak\nFrom x\n" },
        { "digest default parts", Head + "Content-Type: multipart/digest; boundary=\"b\"\n\n--b\n\nFrom: x@y\n\nhi\n--b--\n" },
        { "text with 8bit declared quoted-printable in nested", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nGrüße\n--b--\n" },
        { "header without space and with 8bit value", Head + "X-U:Grüße\nContent-Type: text/plain\n\nhi\n" },
        { "bcc with space before colon", Head + "Bcc : hidden@acme.test\nContent-Type: text/plain\n\nhi\n" },
        { "lowercase bcc", Head + "bcc: hidden@acme.test\nContent-Type: text/plain\n\nhi\n" },
        { "resent-bcc", Head + "Resent-BCC: hidden@acme.test\nContent-Type: text/plain\n\nhi\n" },
        { "empty bcc", Head + "Bcc:\nContent-Type: text/plain\n\nhi\n" },
        { "content-length in part", Head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\nContent-Length: 3\n\nhi\n--b--\n" },
        { "mbox From_ line first", "From someone Mon Jan  1 00:00:00 2024\n" + Head + "Content-Type: text/plain\n\nhi\n" },
    };

    [Theory]
    [MemberData(nameof(Submitted))]
    public void A_submitted_message_stored_by_intake_and_predicted_unchanged_is_what_MailKit_would_have_sent(string name, string text)
    {
        // Intake parses what the client sent and stores MimeKit's write of it (FormatOptions.Default).
        var raw = Encoding.UTF8.GetBytes(text);
        using var intake = new MemoryStream();
        Parse(raw).WriteTo(FormatOptions.Default, intake);
        var stored = intake.ToArray();
        foreach (var server in Servers)
        {
            Assert.True(MessageBodies.TryParse(stored, out var parsed, out var error), error);
            var predicted = UnchangedByPrepare.Of(parsed, stored).For(server);
            var mailKit = AsMailKitSends(Parse(stored), server);
            var verbatim = Verbatim(stored);
            if (predicted)
            {
                Assert.True(mailKit.AsSpan().SequenceEqual(verbatim), $"{name} {server} MAILKIT=[{Esc(mailKit)}] VERBATIM=[{Esc(verbatim)}]");
            }
        }

    }

    private static string Esc(byte[] b) => Encoding.UTF8.GetString(b).Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");

}

/// <summary>CrlfLines against MimeKit's own Unix2Dos filter, for random CR/LF mixes cut into random buffer sizes.</summary>
public sealed class CrlfLinesAgainstMimeKitTests
{
    [Fact]
    public void Line_ends_are_converted_as_MimeKit_converts_them_however_the_output_is_cut()
    {
        var rng = new Random(42);
        byte[] alphabet = "\r\n\r\nab."u8.ToArray();
        for (var round = 0; round < 5000; round++)
        {
            var source = new byte[rng.Next(0, 40)];
            for (var i = 0; i < source.Length; i++)
            {
                source[i] = alphabet[rng.Next(alphabet.Length)];
            }

            // MimeKit's own Unix2Dos
            using var expected = new MemoryStream();
            using (var filtered = new MimeKit.IO.FilteredStream(expected))
            {
                filtered.Add(new MimeKit.IO.Filters.Unix2DosFilter());
                filtered.Write(source, 0, source.Length);
                filtered.Flush();
            }

            var room = rng.Next(2, 9);
            var output = new List<byte>();
            var buffer = new byte[room];
            for (var read = 0; read < source.Length;)
            {
                var (consumed, written) = CrlfLines.Copy(source, read, buffer);
                Assert.True(consumed > 0 || written > 0);
                output.AddRange(buffer.AsSpan(0, written).ToArray());
                read += consumed;
            }

            Assert.Equal(Convert.ToHexString(expected.ToArray()), Convert.ToHexString([.. output]));
            Assert.Equal(expected.Length, CrlfLines.Length(source));
        }
    }
}

/// <summary>Random text parts (CR, LF, "From ", 8-bit, NUL, long lines; no, 7bit, 8bit, binary transfer encodings), stored as intake stores them.</summary>
public sealed class VerbatimPredictionRandomTests
{
    [Fact]
    public void Every_message_predicted_unchanged_is_what_MailKit_would_have_sent()
    {
        var rng = new Random(7);
        string[] atoms = ["a", " ", "\r", "\n", "\n", "\r\n", "From ", "from ", "ü", "\0", ".", "--", "\t", ">From ", "=", "\x1b"];
        string[] encodings = ["", "Content-Transfer-Encoding: 7bit\n", "Content-Transfer-Encoding: 8bit\n", "Content-Transfer-Encoding: 8BIT\n", "Content-Transfer-Encoding: binary\n"];
        var failures = new List<string>();
        var positives = 0;
        for (var round = 0; round < 2000; round++)
        {
            string Content()
            {
                var sb = new StringBuilder();
                var n = rng.Next(0, 12);
                for (var i = 0; i < n; i++)
                {
                    sb.Append(rng.Next(10) == 0 ? new string('x', rng.Next(990, 1002)) : atoms[rng.Next(atoms.Length)]);
                }

                return sb.ToString();
            }

            string Part() => "Content-Type: text/plain; charset=utf-8\n" + encodings[rng.Next(encodings.Length)] + "\n" + Content() + "\n";
            var head = "From: a@acme.test\nTo: b@example.test\nSubject: s\nMIME-Version: 1.0\n";
            var raw = rng.Next(2) == 0
                ? head + Part()
                : head + "Content-Type: multipart/mixed; boundary=\"b\"\n\n" + Content() + "\n--b\n" + Part() + "--b\n" + Part() + "--b--\n" + (rng.Next(3) == 0 ? Content() + "\n" : "");
            byte[] stored;
            try
            {
                using var intake = new MemoryStream();
                MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw))).WriteTo(FormatOptions.Default, intake);
                stored = intake.ToArray();
            }
            catch (FormatException)
            {
                continue;
            }

            foreach (var server in new[] { EncodingConstraint.SevenBit, EncodingConstraint.EightBit, EncodingConstraint.None })
            {
                Assert.True(MessageBodies.TryParse(stored, out var parsed, out _));
                if (!UnchangedByPrepare.Of(parsed, stored).For(server))
                {
                    continue;
                }

                positives++;
                if (!AsMailKitSends(Parse(stored), server).AsSpan().SequenceEqual(Verbatim(stored)))
                {
                    failures.Add($"{server}: {raw.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0")}");
                }
            }
        }

        Assert.True(positives > 500, $"Only {positives} predictions said unchanged: the test no longer exercises the verbatim path");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }
}

/// <summary>MailKit dot-stuffs the verbatim bytes however VerbatimPart's 4 KB writes cut them.</summary>
public sealed class VerbatimDotStuffingTests
{
    [Fact]
    public void Lines_starting_with_a_dot_at_every_offset_around_a_write_boundary_are_dot_stuffed()
    {
        for (var pad = 4080; pad < 4100; pad++)
        {
            foreach (var tail in new[] { ".\n", "..\n", ".x\n", "\r\n.\r\n", "\n.\n" })
            {
                var stored = Encoding.ASCII.GetBytes("Subject: x\n\n" + new string('a', pad - 12) + "\n" + tail + ".\nend\n");
                var carrier = VerbatimPart.Carrier(false);
                ((VerbatimPart)carrier.Body!).Hold(stored);
                using var viaChunks = new MemoryStream();
                using (var filtered = new MimeKit.IO.FilteredStream(viaChunks))
                {
                    filtered.Add(new MailKit.Net.Smtp.SmtpDataFilter());
                    carrier.WriteTo(RecordingSmtpClient.VerbatimOptions, filtered);
                    filtered.Flush();
                }

                using var plain = new MemoryStream();
                carrier.WriteTo(RecordingSmtpClient.VerbatimOptions, plain);
                var expected = Encoding.ASCII.GetString(plain.ToArray()).Replace("\r\n.", "\r\n..");
                Assert.Equal(expected, Encoding.ASCII.GetString(viaChunks.ToArray()));
            }
        }
    }
}
