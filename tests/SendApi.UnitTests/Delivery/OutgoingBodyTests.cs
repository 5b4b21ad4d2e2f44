using System.Text;
using MimeKit;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Transport;
using static SendApi.UnitTests.Delivery.MailKitOracle;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// <see cref="UnchangedByPrepare"/> predicts whether MailKit would send a stored message as
/// stored. The truth is MimeKit itself: prepare the parsed message for the server's encoding as
/// MailKit does, write it as MailKit does, and compare with the stored bytes (CRLF line ends).
/// A "yes" must always be right; a "no" only costs the old, slower path.
/// </summary>
public sealed class OutgoingBodyTests
{
    private static readonly EncodingConstraint[] Servers = [EncodingConstraint.SevenBit, EncodingConstraint.EightBit, EncodingConstraint.None];

    public static TheoryData<string> Messages() =>
    [
        "7bit text, no transfer encoding header",
        "8bit text declared 8bit",
        "8bit text declared 7bit",
        "8bit text without a header",
        "7bit text declared 8bit",
        "a line of 999 octets",
        "a line of 998 octets",
        "a From line",
        "a NUL byte",
        "multipart with a base64 attachment and 8bit text",
        "a bcc header",
        "a content-type but no MIME-Version",
        "an attached message",
        "a non-text part declared 7bit",
        "quoted-printable 8-bit text",
        "no final line end",
        "stored with CRLF line ends",
        "a multipart without its closing boundary",
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_predicted_unchanged_is_what_MailKit_would_have_sent(string name)
    {
        var stored = Stored(name);
        foreach (var server in Servers)
        {
            Assert.True(MessageBodies.TryParse(stored, out var parsed, out var error), error);
            var predicted = UnchangedByPrepare.Of(parsed, stored).For(server);

            var mailKit = AsMailKitSends(Parse(stored), server);
            var verbatim = Verbatim(stored);
            if (predicted)
            {
                Assert.Equal(Encoding.UTF8.GetString(mailKit), Encoding.UTF8.GetString(verbatim));
                Assert.Equal(mailKit, verbatim);
            }

            Assert.Equal(Expected(name, server), predicted);
        }
    }

    [Fact]
    public void The_verbatim_message_writes_the_stored_bytes_with_CRLF_line_ends_and_says_how_many()
    {
        var stored = Encoding.UTF8.GetBytes("Subject: x\n\r\n.line\nbare\rcr\r\nend\n");
        var message = VerbatimPart.Carrier(eightBit: false);
        ((VerbatimPart)message.Body!).Hold(stored);

        using var written = new MemoryStream();
        message.WriteTo(RecordingSmtpClient.VerbatimOptions, written);

        Assert.Equal("Subject: x\r\n\r\n.line\r\nbare\rcr\r\nend\r\n", Encoding.UTF8.GetString(written.ToArray()));
        Assert.Equal(written.Length, ((VerbatimPart)message.Body!).Length);
    }

    [Fact]
    public void Line_ends_are_converted_the_same_however_the_output_is_cut()
    {
        var source = Encoding.ASCII.GetBytes("a\nb\r\n\n\r\r\nccc\n\nd");
        const string Expected = "a\r\nb\r\n\r\n\r\r\nccc\r\n\r\nd";
        foreach (var room in new[] { 2, 3, 4, 7, 64 })
        {
            var output = new List<byte>();
            var buffer = new byte[room];
            for (var read = 0; read < source.Length;)
            {
                var (consumed, written) = CrlfLines.Copy(source, read, buffer);
                output.AddRange(buffer.AsSpan(0, written).ToArray());
                read += consumed;
            }

            Assert.Equal(Expected, Encoding.ASCII.GetString([.. output]));
        }

        Assert.Equal(Expected.Length, CrlfLines.Length(source));
    }

    [Fact]
    public void After_MailKit_prepared_the_parsed_message_for_one_server_the_next_server_gets_it_too()
    {
        var stored = Stored("8bit text declared 8bit");
        Assert.True(MessageBodies.TryParse(stored, out var parsed, out _));
        var body = OutgoingBody.Of(parsed, stored);

        Assert.False(body.TryVerbatim(EncodingConstraint.SevenBit, out _, out _));
        // MailKit may have re-encoded the parsed message for the 7-bit server: as before, every
        // later transaction sends that message, not the stored bytes.
        Assert.False(body.TryVerbatim(EncodingConstraint.EightBit, out _, out _));
    }

    /// <summary>The servers (7-bit, 8BITMIME, BINARYMIME) that get the message as stored.</summary>
    private static bool Expected(string name, EncodingConstraint server) => name switch
    {
        "7bit text, no transfer encoding header" or "a line of 998 octets" or "quoted-printable 8-bit text" or "stored with CRLF line ends" => true,
        "8bit text declared 8bit" or "multipart with a base64 attachment and 8bit text" => server != EncodingConstraint.SevenBit,
        _ => false,
    };

    private static byte[] Stored(string name)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme", "orders@acme.test"));
        message.To.Add(new MailboxAddress("", "bob@example.test"));
        message.Subject = "test";
        var options = FormatOptions.Default;
        TextPart Text(string text, ContentEncoding encoding = ContentEncoding.Default)
        {
            var part = new TextPart("plain") { Text = text };
            if (encoding != ContentEncoding.Default)
            {
                part.ContentTransferEncoding = encoding;
            }

            return part;
        }

        switch (name)
        {
            case "7bit text, no transfer encoding header":
                message.Body = Text("hello\n.dot\nthere\n");
                break;
            case "8bit text declared 8bit":
                message.Body = Text("Grüße\n", ContentEncoding.EightBit);
                break;
            case "8bit text declared 7bit":
                message.Body = Text("Grüße\n", ContentEncoding.SevenBit);
                break;
            case "8bit text without a header":
                message.Body = Text("Grüße\n");
                break;
            case "7bit text declared 8bit":
                message.Body = Text("plain ascii\n", ContentEncoding.EightBit);
                break;
            case "a line of 999 octets":
                message.Body = Text(new string('a', 999) + "\n");
                break;
            case "a line of 998 octets":
                message.Body = Text(new string('a', 998) + "\n");
                break;
            case "a From line":
                message.Body = Text("hello\nFrom here on\n");
                break;
            case "a NUL byte":
                message.Body = Text("nul\0here\n");
                break;
            case "multipart with a base64 attachment and 8bit text":
                message.Body = new Multipart("mixed")
                {
                    Text("Grüße\n..two dots\n", ContentEncoding.EightBit),
                    new MimePart("application", "octet-stream") { Content = new MimeContent(new MemoryStream([1, 2, 3, 200])), ContentTransferEncoding = ContentEncoding.Base64, FileName = "a.bin" },
                };
                break;
            case "a bcc header":
                message.Bcc.Add(new MailboxAddress("", "hidden@acme.test"));
                message.Body = Text("hello\n");
                break;
            case "a content-type but no MIME-Version":
                // MimeKit writes a message it made with a MIME-Version: this one comes as a client sent it.
                return "From: orders@acme.test\nSubject: test\nContent-Type: text/plain\n\nhello\n"u8.ToArray();
            case "an attached message":
                var inner = new MimeMessage();
                inner.Body = Text("inner\n");
                message.Body = new Multipart("mixed") { Text("outer\n"), new MessagePart { Message = inner } };
                break;
            case "a non-text part declared 7bit":
                message.Body = new MimePart("application", "json") { Content = new MimeContent(new MemoryStream("{}\n"u8.ToArray())), ContentTransferEncoding = ContentEncoding.SevenBit };
                break;
            case "quoted-printable 8-bit text":
                message.Body = Text("Grüße " + new string('q', 1200) + "\n", ContentEncoding.QuotedPrintable);
                break;
            case "no final line end":
                return "From: orders@acme.test\nSubject: test\nMIME-Version: 1.0\nContent-Type: text/plain\n\nno end"u8.ToArray();
            case "a multipart without its closing boundary":
                // A client's multipart that never closes (cut short, or "--b-- x", which is no
                // boundary), as intake stores it: parsed, then written by MimeKit. MimeKit adds a
                // line end each time it writes such a multipart, so MailKit's bytes are not the stored ones.
                return Written(Parse("From: orders@acme.test\nSubject: test\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhi\n"u8.ToArray()));
            case "stored with CRLF line ends":
                message.Body = Text("hello\n.dot\n");
                options = options.Clone();
                options.NewLineFormat = NewLineFormat.Dos;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }

        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    private static byte[] Written(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return stream.ToArray();
    }

}
