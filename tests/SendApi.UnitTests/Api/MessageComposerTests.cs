using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages;

namespace SendApi.UnitTests.Api;

public sealed class MessageComposerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 30, 0, TimeSpan.Zero);

    private readonly MessageComposer _composer = new(
        Options.Create(new MessagesOptions { MessageIdDomain = "mail.sendapi.test" }),
        new FakeTimeProvider(Now));

    /// <summary>The message as it is written out and read back, as a receiver sees it.</summary>
    private static MimeMessage Parse(IncomingMessage composed) => MimeMessage.Load(new MemoryStream(Bytes(composed)));

    private static byte[] Bytes(IncomingMessage composed)
    {
        using var buffer = new MemoryStream();
        composed.Mime.WriteTo(FormatOptions.Default, buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void Writes_the_standard_headers_on_our_domain()
    {
        var composed = _composer.Compose(new SendMessageRequest
        {
            From = "Acme <hello@acme.test>",
            To = ["Bob <bob@example.test>"],
            Cc = ["carol@example.test"],
            ReplyTo = "support@acme.test",
            Subject = "Your order",
            Text = "Thanks",
            Headers = new Dictionary<string, string> { ["X-Campaign"] = "welcome" },
        }, "msg1", "acct");

        var mime = Parse(composed);
        Assert.Equal("msg1@mail.sendapi.test", mime.MessageId);
        Assert.Equal(Now, mime.Date);
        Assert.Equal("\"Acme\" <hello@acme.test>", mime.From.ToString());
        Assert.Equal("\"Bob\" <bob@example.test>", mime.To.ToString());
        Assert.Equal("carol@example.test", mime.Cc.ToString());
        Assert.Equal("support@acme.test", mime.ReplyTo.ToString());
        Assert.Equal("welcome", mime.Headers["X-Campaign"]);
        Assert.Equal("1.0", mime.Headers[HeaderId.MimeVersion]);
        Assert.Equal("hello@acme.test", composed.Sender);
        Assert.Equal("\"Acme\" <hello@acme.test>", composed.From);
        Assert.Equal("Your order", composed.Subject);
        Assert.Equal(Now, composed.ReceivedAt);
    }

    /// <summary>The message itself carries an empty Subject header; the message list shows none.</summary>
    [Fact]
    public void A_message_without_a_subject_has_none_in_its_envelope()
    {
        var composed = _composer.Compose(new SendMessageRequest { From = "hello@acme.test", To = ["bob@example.test"], Text = "x" }, "msg5", "acct");

        Assert.Null(composed.Subject);
    }

    [Fact]
    public void Bcc_recipients_are_in_the_envelope_but_never_in_a_header()
    {
        var composed = _composer.Compose(new SendMessageRequest
        {
            From = "hello@acme.test",
            To = ["bob@example.test"],
            Bcc = ["secret@example.test"],
            Text = "x",
        }, "msg2", "acct");

        Assert.Contains(composed.Recipients, r => r is { Address: "secret@example.test", Kind: RecipientKind.Bcc });
        Assert.DoesNotContain("secret@example.test", System.Text.Encoding.UTF8.GetString(Bytes(composed)));
        Assert.DoesNotContain(Parse(composed).Headers, h => h.Id == HeaderId.Bcc);
    }

    [Fact]
    public void Duplicate_recipients_are_delivered_once()
    {
        var composed = _composer.Compose(new SendMessageRequest
        {
            From = "hello@acme.test",
            To = ["bob@example.test", "Bob <BOB@example.test>"],
            Cc = ["bob@example.test"],
            Text = "x",
        }, "msg3", "acct");

        Assert.Single(composed.Recipients);
    }

    [Fact]
    public void Attachments_and_inline_images_keep_their_bytes()
    {
        var pdf = new byte[] { 0x25, 0x50, 0x44, 0x46, 0x00, 0xFF, 0x10 };
        var composed = _composer.Compose(new SendMessageRequest
        {
            From = "hello@acme.test",
            To = ["bob@example.test"],
            Text = "see attached",
            Html = "<img src=\"cid:logo\">",
            Attachments =
            [
                new AttachmentRequest { Filename = "invoice.pdf", Content = Convert.ToBase64String(pdf) },
                new AttachmentRequest { Filename = "logo.png", Content = Convert.ToBase64String([1, 2, 3]), ContentId = "logo" },
            ],
        }, "msg4", "acct");

        var mime = Parse(composed);
        var attachment = Assert.Single(mime.Attachments.OfType<MimePart>());
        Assert.Equal("invoice.pdf", attachment.FileName);
        Assert.Equal("application/pdf", attachment.ContentType.MimeType);
        using var decoded = new MemoryStream();
        attachment.Content!.DecodeTo(decoded);
        Assert.Equal(pdf, decoded.ToArray());
        var inline = mime.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo");
        Assert.Equal("image/png", inline.ContentType.MimeType);
    }

    /// <summary>Found by the HTTP fuzz: MimeKit turned an inline part's name into a Content-Location URI and threw on "a:b".</summary>
    [Theory]
    [InlineData("logo.png", "logo.png")]
    [InlineData("a:b", null)]
    public void Any_file_name_can_be_inline(string filename, string? location)
    {
        var composed = _composer.Compose(new SendMessageRequest
        {
            From = "hello@acme.test",
            To = ["bob@example.test"],
            Html = "<img src=\"cid:logo@acme.test\">",
            Attachments = [new AttachmentRequest { Filename = filename, Content = "aGk=", ContentType = "image/png", ContentId = "logo@acme.test" }],
        }, "msg3", "acct");

        var related = Assert.IsType<MultipartRelated>(Parse(composed).Body);
        var part = Assert.IsType<MimePart>(related[1]);
        Assert.Equal("logo@acme.test", part.ContentId);
        Assert.Equal(filename, part.FileName);
        Assert.Equal(ContentDisposition.Inline, part.ContentDisposition?.Disposition);
        Assert.Equal(location, part.ContentLocation?.ToString());
    }

    /// <summary>
    /// The bodies go into their parts as the UTF-8 they came in (<see cref="BodyContent"/>), not
    /// through MimeKit's BodyBuilder, which takes strings: the message must be byte for byte what
    /// BodyBuilder made, so that delivery encodes it for each MX as before.
    /// </summary>
    [Theory]
    [InlineData(true, false, 0, false)]
    [InlineData(false, true, 0, false)]
    [InlineData(true, true, 0, false)]
    [InlineData(true, true, 2, false)]
    [InlineData(true, true, 1, true)]
    [InlineData(false, true, 1, true)]
    [InlineData(true, false, 1, true)]
    [InlineData(false, false, 1, false)]
    [InlineData(false, false, 2, false)]
    [InlineData(false, false, 0, false)]
    public void Bodies_are_written_as_MimeKit_BodyBuilder_wrote_them(bool text, bool html, int attachments, bool inline)
    {
        var body = string.Concat(Enumerable.Repeat("caf\u00e9 \u20ac \U0001F600 line\n", 3000));
        var (plain, markup) = (text ? "Hi \u00e9\n" + body : null, html ? "<p>Hi \u00e9</p>\n" + body : null);
        var files = Enumerable.Range(0, attachments).Select(i => new AttachmentRequest
        {
            Filename = $"f{i}.txt",
            Content = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"file {i}")),
            ContentId = inline && i == 0 ? "logo@acme.test" : null,
        }).ToList();
        var composed = _composer.Compose(new SendMessageRequest { From = "hello@acme.test", To = ["bob@example.test"], Text = plain, Html = markup, Attachments = files }, "msg4", "acct");

        var builder = new BodyBuilder { TextBody = plain, HtmlBody = markup };
        foreach (var file in files)
        {
            var entity = builder.Attachments.Add(file.Filename!, Convert.FromBase64String(file.Content!), ContentType.Parse(MimeTypes.GetMimeType(file.Filename!)));
            if (file.ContentId is not null)
            {
                builder.Attachments.Remove(entity);
                entity.ContentDisposition!.Disposition = ContentDisposition.Inline;
                entity.ContentId = file.ContentId;
                entity.ContentLocation = new Uri(file.Filename!, UriKind.Relative);
                builder.LinkedResources.Add(entity);
            }
        }

        var expected = Bytes(composed with { Mime = WithBody(composed.Mime, builder.ToMessageBody()) });
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(Bytes(composed with { Mime = WithBody(composed.Mime, composed.Mime.Body!) })));
    }

    /// <summary>
    /// A client that sends the body it does not use as "" gets the message it would have got without
    /// it (BodyBuilder made a multipart/alternative with an empty part, which shows as a blank email).
    /// </summary>
    [Theory]
    [InlineData("Hi \u00e9", "")]
    [InlineData("", "<p>Hi \u00e9</p>")]
    public void An_empty_text_or_html_is_left_out_of_the_message(string text, string html)
    {
        var composed = _composer.Compose(new SendMessageRequest { From = "hello@acme.test", To = ["bob@example.test"], Text = text, Html = html }, "msg5", "acct");

        var expected = new BodyBuilder { TextBody = text.Length > 0 ? text : null, HtmlBody = html.Length > 0 ? html : null }.ToMessageBody();
        Assert.IsAssignableFrom<TextPart>(composed.Mime.Body);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(Bytes(composed with { Mime = WithBody(composed.Mime, expected) })), System.Text.Encoding.UTF8.GetString(Bytes(composed with { Mime = WithBody(composed.Mime, composed.Mime.Body!) })));
    }

    /// <summary>The message with <paramref name="body"/>, its multiparts' random boundaries made the same for a comparison.</summary>
    private static MimeMessage WithBody(MimeMessage message, MimeEntity body)
    {
        var copy = new MimeMessage(message.Headers.Where(h => !h.Field.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))) { Body = body };
        var n = 0;
        foreach (var multipart in new[] { body }.Concat(body is Multipart m ? Descendants(m) : []).OfType<Multipart>())
        {
            multipart.Boundary = $"boundary-{n++}";
        }

        return copy;
    }

    private static IEnumerable<MimeEntity> Descendants(Multipart multipart) =>
        multipart.SelectMany(child => new[] { child }.Concat(child is Multipart m ? Descendants(m) : []));
}
