using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

/// <summary>
/// A composed body's part writes its CRLF line ends itself instead of through MimeKit's
/// Unix2DosFilter: the stored bytes must be exactly MimeKit's, whatever the body's line ends and
/// wherever the part sits in the message. MimeKit's bytes come from writing the same message with
/// a copy of the stored form's options, which the part leaves to MimeKit.
/// </summary>
public sealed class CanonicalTextPartTests
{
    private readonly MessageComposer _composer = new(
        Options.Create(new MessagesOptions { MessageIdDomain = "mail.sendapi.test" }),
        new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 5, 0, 0, TimeSpan.Zero)));

    public static TheoryData<string> Bodies => new()
    {
        "x",
        "no line end",
        "ends with LF\n",
        "ends with CRLF\r\n",
        "\n",
        "\r\n",
        "\r",
        "ends with CR\r",
        "\nstarts with LF",
        "bare\rCR inside",
        "mixed\r\nline\nends\r\n\r\n\n\nand\r\rmore",
        "CR before LF split across\r\n\n\r",
        "héllo ✓ wörld\nzweite Zeile\n",
        string.Concat(Enumerable.Repeat(new string('x', 76) + "\n", 1400))[..102400],
        string.Concat(Enumerable.Repeat("<p>line</p>\r\n", 5000)),
    };

    private static SendMessageRequest Request(string? text, string? html, bool inline = false, bool attachment = false) => new()
    {
        From = "Acme <hello@acme.test>",
        To = ["bob@example.test"],
        Subject = "Line ends",
        Text = text,
        Html = html,
        Attachments = [.. inline ? [new AttachmentRequest { Filename = "logo.png", Content = "aGk=", ContentType = "image/png", ContentId = "logo@acme.test" }] : Array.Empty<AttachmentRequest>(),
            .. attachment ? [new AttachmentRequest { Filename = "a.txt", Content = "aGk=" }] : Array.Empty<AttachmentRequest>()],
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task The_stored_bytes_are_mimekits_in_every_place_a_body_can_be(string body)
    {
        SendMessageRequest[] shapes =
        [
            Request(body, null), // the whole body: MimeKit ends it with a line end
            Request(null, body),
            Request(body, body), // multipart/alternative: parts end where the boundary starts
            Request(null, body, inline: true), // multipart/related
            Request(body, null, attachment: true), // multipart/mixed
            Request(body, body, inline: true, attachment: true),
        ];

        foreach (var shape in shapes)
        {
            var mime = _composer.Compose(shape, "msg1", "acct").Mime;
            Assert.Contains(mime.BodyParts, p => p is CanonicalTextPart);

            var ours = Write(mime, StoredForm.Options);
            var mimeKits = Write(mime, StoredForm.Options.Clone());
            Assert.Equal(Escaped(mimeKits), Escaped(ours));
            Assert.Equal(mimeKits, ours);

            using var async = new MemoryStream();
            await mime.WriteToAsync(StoredForm.Options, async);
            Assert.Equal(mimeKits, async.ToArray());

            // As the intake writes it: into its pooled buffer.
            using var intake = new MimeBuffer(1024);
            await mime.WriteToAsync(StoredForm.Options, intake);
            Assert.Equal(mimeKits, intake.Written.ToArray());
        }
    }

    /// <summary>Changed after composing (a transfer encoding chosen, the HTML rewritten): MimeKit writes it, as before.</summary>
    [Fact]
    public void A_part_changed_after_composing_is_written_by_mimekit()
    {
        var mime = _composer.Compose(Request("a\nb", "<p>a</p>\n<p>b</p>"), "msg1", "acct").Mime;
        var parts = mime.BodyParts.OfType<CanonicalTextPart>().ToList();
        parts[0].ContentTransferEncoding = ContentEncoding.QuotedPrintable;
        parts[1].Text = "<p>rewritten</p>\n";

        var written = Write(mime, StoredForm.Options);

        Assert.Equal(Write(mime, StoredForm.Options.Clone()), written);
        var text = System.Text.Encoding.UTF8.GetString(written);
        Assert.Contains("Content-Transfer-Encoding: quoted-printable\r\n", text, StringComparison.Ordinal);
        Assert.Contains("<p>rewritten</p>\r\n", text, StringComparison.Ordinal);
    }

    /// <summary>MimeKit's rules, found by the test above: a bare CR stays, a last CR gets only the LF.</summary>
    [Theory]
    [InlineData("", false, new string[0])]
    [InlineData("", true, new[] { "\r\n" })]
    [InlineData("a\r\nb\r\n", false, new[] { "a\r\nb\r\n" })]
    [InlineData("a\nb", true, new[] { "a", "\r\n", "b", "\r\n" })]
    [InlineData("\n\r\n", false, new[] { "\r\n", "\r\n" })]
    [InlineData("a\r", true, new[] { "a\r", "\n" })]
    [InlineData("a\r", false, new[] { "a\r" })]
    public void A_body_already_in_crlf_is_one_piece_and_each_bare_lf_becomes_crlf(string body, bool ensureNewLine, string[] pieces)
    {
        var written = CanonicalTextPart.Pieces(System.Text.Encoding.UTF8.GetBytes(body), ensureNewLine)
            .Select(p => System.Text.Encoding.UTF8.GetString(p.Span));

        Assert.Equal(pieces, written);
    }

    private static byte[] Write(MimeMessage message, FormatOptions options)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(options, buffer);
        return buffer.ToArray();
    }

    // A readable difference when the bytes differ: line ends shown.
    private static string Escaped(byte[] bytes) =>
        System.Text.Encoding.UTF8.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n\n", StringComparison.Ordinal);
}
