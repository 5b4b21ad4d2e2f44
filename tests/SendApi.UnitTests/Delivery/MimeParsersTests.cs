using System.Text;
using MimeKit;
using SendApi.Delivery.Attempts;

namespace SendApi.UnitTests.Delivery;

/// <summary>
/// <see cref="MimeParsers"/> reuses parsers from one message to the next: each message must come
/// out exactly as a parser of its own reads it, whatever the parser read before (a multipart, a
/// message it failed on, one read asynchronously).
/// </summary>
public sealed class MimeParsersTests
{
    private const string Multipart =
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: first\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n--xyz\r\nContent-Type: text/plain\r\n\r\none\r\n" +
        "--xyz\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--xyz--\r\n";

    private const string Plain = "From: c@example.com\r\nTo: d@example.com\r\nSubject: second\r\n\r\njust text\r\n";

    [Fact]
    public async Task Messages_parsed_one_after_another_come_out_as_a_fresh_parser_reads_them()
    {
        for (var round = 0; round < 3; round++)
        {
            foreach (var (text, persistent) in new[] { (Multipart, true), (Plain, true), (Multipart, false), (Plain, false) })
            {
                var pooled = round % 2 == 0
                    ? MimeParsers.Load(Stream(text), persistent)
                    : await MimeParsers.LoadAsync(Stream(text), persistent);
                var fresh = MimeMessage.Load(ParserOptions.Default, Stream(text), persistent);

                Assert.Equal(Written(fresh), Written(pooled));
                Assert.Equal(fresh.Subject, pooled.Subject);
            }
        }
    }

    [Fact]
    public void A_message_after_one_a_parser_failed_on_is_read_whole()
    {
        // A stream that fails mid-read leaves that parser half-way; it is not the next message's parser.
        Assert.Throws<IOException>(() => MimeParsers.Load(new FailingStream(Encoding.ASCII.GetBytes(Multipart)), persistent: false));

        var message = MimeParsers.Load(Stream(Plain), persistent: true);

        Assert.Equal("second", message.Subject);
        Assert.Equal("just text", Assert.IsType<TextPart>(message.Body).Text.TrimEnd());
    }

    [Fact]
    public void A_persistent_message_keeps_its_content_after_the_parser_moved_on()
    {
        var first = MimeParsers.Load(Stream(Multipart), persistent: true);
        _ = MimeParsers.Load(Stream(Plain), persistent: true);

        var parts = Assert.IsType<Multipart>(first.Body).OfType<TextPart>().Select(p => p.Text.TrimEnd()).ToArray();
        Assert.Equal(["one", "<p>two</p>"], parts);
    }

    private static MemoryStream Stream(string text) => new(Encoding.ASCII.GetBytes(text), writable: false);

    private static string Written(MimeMessage message)
    {
        using var output = new MemoryStream();
        message.WriteTo(output);
        return Encoding.ASCII.GetString(output.ToArray());
    }

    /// <summary>Gives the first 40 bytes, then fails as a dropped connection would.</summary>
    private sealed class FailingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= 40 ? throw new IOException("connection dropped") : base.Read(buffer, offset, Math.Min(count, 40 - (int)Position));

        public override int Read(Span<byte> buffer) =>
            Position >= 40 ? throw new IOException("connection dropped") : base.Read(buffer[..Math.Min(buffer.Length, 40 - (int)Position)]);
    }
}
