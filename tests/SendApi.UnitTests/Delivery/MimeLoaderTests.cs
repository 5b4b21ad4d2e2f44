using System.Text;
using MimeKit;
using SendApi.Delivery.Attempts;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// <see cref="MimeLoader"/> reuses one parser per thread: each message must come out as if parsed
/// on its own, and a message parsed persistently must stay readable after the parser moved on.
/// </summary>
public sealed class MimeLoaderTests
{
    private static MemoryStream Stream(string raw) => new(Encoding.ASCII.GetBytes(raw), writable: false);

    [Fact]
    public async Task Messages_parsed_one_after_another_keep_their_own_headers_and_bodies()
    {
        const string First = "From: a@one.test\r\nTo: b@one.test\r\nSubject: first\r\nX-Only-First: yes\r\n\r\nfirst body\r\n";
        const string Second = "From: c@two.test\r\nSubject: second\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\nsecond part one\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--b--\r\n";

        var first = MimeLoader.Load(Stream(First), persistent: true);
        var second = await MimeLoader.LoadAsync(Stream(Second), persistent: true);
        var third = MimeLoader.Load(Stream(First), persistent: false);

        Assert.Equal("first", first.Subject);
        Assert.Equal("first body", first.TextBody!.TrimEnd());
        Assert.Equal("second", second.Subject);
        Assert.Null(second.Headers["X-Only-First"]);
        Assert.Equal(["second part one", "<p>two</p>"], second.BodyParts.OfType<TextPart>().Select(p => p.Text.TrimEnd()));
        Assert.Equal("yes", third.Headers["X-Only-First"]);
        // The first message's body is a window on its own stream, still readable after two more parses.
        Assert.Equal("first body", first.TextBody!.TrimEnd());
    }

    [Fact]
    public void A_message_that_fails_to_parse_leaves_the_next_one_unaffected()
    {
        Assert.Throws<FormatException>(() => MimeLoader.Load(Stream(""), persistent: true));

        var message = MimeLoader.Load(Stream("Subject: after\r\n\r\nbody\r\n"), persistent: true);

        Assert.Equal("after", message.Subject);
        Assert.Equal("body", message.TextBody!.TrimEnd());
    }
}
