using System.Text;
using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp;

/// <summary>Every reply leaves through <see cref="SmtpReplyWriter"/>: at most 512 octets a line, CRLF included, and no control characters.</summary>
public sealed class SmtpReplyWriterTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Fact]
    public void A_short_reply_is_sent_as_is()
    {
        Assert.Equal("250 2.1.0 Ok\r\n", SmtpReplyWriter.Format(new SmtpServerReply(250, "2.1.0", "Ok")));
        Assert.Equal("334 \r\n", SmtpReplyWriter.Format(SmtpServerReplies.Challenge("")));
        Assert.Equal("250-mx.test\r\n250 PIPELINING\r\n", SmtpReplyWriter.Format(new SmtpServerReply(250, "", "mx.test", "PIPELINING")));
    }

    [Fact]
    public void A_fixed_reply_is_written_as_the_same_octets_as_any_reply_and_an_equal_one_still_is_formatted()
    {
        var fixedReply = SmtpReplyWriter.Fixed(new SmtpServerReply(250, "", "mx.test", "PIPELINING", "SIZE 1000"));
        var equalReply = new SmtpServerReply(250, "", "mx.test", "PIPELINING", "SIZE 1000");

        Assert.Equal("250-mx.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", Written(fixedReply));
        Assert.Equal(Written(fixedReply), Written(equalReply));
        Assert.Equal("250 2.0.0 Ok\r\n", Written(SmtpServerReplies.Ok));
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>\r\n", Written(SmtpServerReplies.StartData));
    }

    [Fact]
    public void The_greetings_are_the_configured_host_and_EHLO_offers_STARTTLS_and_AUTH_only_when_asked()
    {
        var greetings = new SmtpGreetings(new SmtpServerSettings { Hostname = "mx.sendapi.test", MaxMessageSize = 1000 });

        Assert.Equal("220 mx.sendapi.test ESMTP SendApi\r\n", Written(greetings.Banner));
        Assert.Equal("250 mx.sendapi.test\r\n", Written(greetings.Helo));
        var plain = Written(greetings.Ehlo(offerStartTls: false, offerAuth: false));
        Assert.Equal("250-mx.sendapi.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n", plain);
        Assert.EndsWith("250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n", Written(greetings.Ehlo(offerStartTls: true, offerAuth: false)));
        Assert.EndsWith("250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n", Written(greetings.Ehlo(offerStartTls: false, offerAuth: true)));
        Assert.EndsWith("250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n", Written(greetings.Ehlo(offerStartTls: true, offerAuth: true)));
        Assert.Same(greetings.Ehlo(offerStartTls: true, offerAuth: true), greetings.Ehlo(offerStartTls: true, offerAuth: true));
    }

    private static string Written(SmtpServerReply reply)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        SmtpReplyWriter.Write(reply, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void A_line_of_exactly_512_octets_is_not_cut()
    {
        var text = new string('x', 512 - "501 5.5.4 ".Length - 2);

        var line = SmtpReplyWriter.Format(new SmtpServerReply(501, "5.5.4", text));

        Assert.Equal(512, Encoding.UTF8.GetByteCount(line));
        Assert.EndsWith("x\r\n", line);
    }

    [Fact]
    public void A_longer_line_is_cut_to_512_octets_and_says_so()
    {
        var line = SmtpReplyWriter.Format(new SmtpServerReply(501, "5.5.4", "Bad parameter syntax: " + new string('x', 5000)));

        Assert.Equal(512, Encoding.UTF8.GetByteCount(line));
        Assert.StartsWith("501 5.5.4 Bad parameter syntax: xxx", line);
        Assert.EndsWith("x...\r\n", line);
    }

    [Theory]
    [InlineData("é")] // 2 octets
    [InlineData("€")] // 3 octets
    [InlineData("😀")] // 4 octets, a surrogate pair in .NET
    [InlineData("\ud800")] // a lone surrogate: sent as U+FFFD, 3 octets
    public void Multi_octet_text_is_cut_between_characters_never_inside_one(string character)
    {
        for (var pad = 0; pad < 4; pad++)
        {
            var text = new string('a', pad) + string.Concat(Enumerable.Repeat(character, 400));

            var bytes = Encoding.UTF8.GetBytes(SmtpReplyWriter.Format(new SmtpServerReply(553, "5.1.3", text)));

            Assert.InRange(bytes.Length, 512 - 5, 512);
            var decoded = StrictUtf8.GetString(bytes); // throws on a split sequence
            Assert.EndsWith("...\r\n", decoded);
        }
    }

    [Fact]
    public void Each_line_of_a_multi_line_reply_is_held_to_the_limit_on_its_own()
    {
        var long1 = new string('a', 700);
        var long2 = new string('b', 700);

        var lines = SmtpReplyWriter.Format(new SmtpServerReply(451, "4.3.0", long1, "short", long2)).Split("\r\n")[..^1];

        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.True(Encoding.UTF8.GetByteCount(line) + 2 <= 512));
        Assert.StartsWith("451-4.3.0 aaa", lines[0]);
        Assert.Equal("451-4.3.0 short", lines[1]);
        Assert.StartsWith("451 4.3.0 bbb", lines[2]);
    }

    [Fact]
    public void Control_characters_in_the_text_cannot_forge_lines()
    {
        Assert.Equal("250 2.0.0 Ok  250 2.0.0 forged \r\n", SmtpReplyWriter.Format(new SmtpServerReply(250, "2.0.0", "Ok\r\n250 2.0.0 forged\0")));
    }

    [Fact]
    public void Random_text_always_makes_well_formed_lines()
    {
        const int seed = 5321;
        var random = new Random(seed);
        string[] pieces = ["a", " ", "é", "€", "😀", "\ud800", "\udc00", "\r", "\n", "\0", "\u0085", "\t", "<", ">"];
        for (var i = 0; i < 500; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 900)).Select(_ => pieces[random.Next(pieces.Length)]));

            var bytes = Encoding.UTF8.GetBytes(SmtpReplyWriter.Format(new SmtpServerReply(550, "5.7.1", text, text)));

            var lines = StrictUtf8.GetString(bytes).Split("\r\n")[..^1];
            Assert.True(lines.Length == 2, $"seed {seed}, case {i}");
            Assert.All(lines, line =>
            {
                Assert.True(Encoding.UTF8.GetByteCount(line) + 2 <= 512, $"seed {seed}, case {i}");
                Assert.DoesNotContain(line, c => char.IsControl(c));
            });
        }
    }
}
