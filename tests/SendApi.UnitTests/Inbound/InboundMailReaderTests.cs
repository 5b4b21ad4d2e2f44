using System.Text;
using MimeKit;
using SendApi.Core.Inbound;
using SendApi.Inbound;

namespace SendApi.UnitTests.Inbound;

public sealed class InboundMailReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly InboundEnvelope Envelope = new("carol@example.test", ["support@reply.acme.test"], "127.0.0.1", "mx.example.test", Tls: false);

    private static InboundEmail Read(string mime, bool autoReply = false)
    {
        var bytes = Encoding.UTF8.GetBytes(mime.ReplaceLineEndings("\r\n"));
        return InboundMailReader.Read(MimeMessage.Load(new MemoryStream(bytes)), "in_x", "acct", T0, Envelope, bytes.Length, autoReply);
    }

    [Fact]
    public void Addresses_subject_ids_and_headers_are_read()
    {
        var email = Read("""
            From: "Buyer, Carol" <carol@example.test>
            To: Support <support@reply.acme.test>, sales@reply.acme.test
            Cc: team: ann@example.test, bob@example.test;
            Reply-To: carol.private@example.test
            Subject: =?UTF-8?Q?Re:_Caf=C3=A9_order?=
            Date: Sun, 22 Nov 2026 10:02:00 +0100
            Message-ID: <reply-1@example.test>
            In-Reply-To: <sent-1@acme.test>
            References: <start@acme.test> <sent-1@acme.test>

            Hello
            """);

        Assert.Equal(new InboundAddress("Buyer, Carol", "carol@example.test"), email.From);
        Assert.Equal(["support@reply.acme.test", "sales@reply.acme.test"], email.To.Select(a => a.Address));
        Assert.Equal("Support", email.To[0].Name);
        Assert.Null(email.To[1].Name);
        Assert.Equal(["ann@example.test", "bob@example.test"], email.Cc.Select(a => a.Address));
        Assert.Equal("carol.private@example.test", Assert.Single(email.ReplyTo).Address);
        Assert.Equal("Re: Café order", email.Subject);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 2, 0, TimeSpan.FromHours(1)), email.Date);
        Assert.Equal("reply-1@example.test", email.MessageId);
        Assert.Equal("sent-1@acme.test", email.InReplyTo);
        Assert.Equal(["start@acme.test", "sent-1@acme.test"], email.References);
        Assert.Equal(["sent-1@acme.test", "start@acme.test"], InboundMailReader.ReferencedIds(email));
        Assert.Contains(new InboundHeader("Message-ID", "<reply-1@example.test>"), email.Headers);
        Assert.Equal("Hello", email.Text?.Trim());
        Assert.Equal("Hello", email.ReplyText);
        Assert.Null(email.Html);
        Assert.Empty(email.Attachments);
    }

    [Fact]
    public void Attachments_are_described_and_their_content_decoded_by_index()
    {
        var mime = """
            From: carol@example.test
            To: support@reply.acme.test
            Subject: files
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/related; boundary="rel"

            --rel
            Content-Type: text/html; charset=utf-8

            <p>See <img src="cid:logo@x"></p>
            --rel
            Content-Type: image/png
            Content-ID: <logo@x>
            Content-Disposition: inline
            Content-Transfer-Encoding: base64

            iVBORw0KGgo=
            --rel--
            --outer
            Content-Type: text/plain; name="notes.txt"
            Content-Disposition: attachment; filename="notes.txt"

            a note
            --outer
            Content-Type: message/rfc822
            Content-Disposition: attachment; filename="forwarded.eml"

            From: x@example.test
            Subject: old

            old body
            --outer--
            """;
        var bytes = Encoding.UTF8.GetBytes(mime.ReplaceLineEndings("\r\n"));
        var message = MimeMessage.Load(new MemoryStream(bytes));
        var email = InboundMailReader.Read(message, "in_x", "acct", T0, Envelope, bytes.Length, autoReply: false);

        Assert.Null(email.Text);
        Assert.Contains("cid:logo@x", email.Html);
        Assert.Equal("See", email.ReplyText);
        Assert.Collection(
            email.Attachments,
            logo => Assert.Equal(new InboundAttachment(0, null, "image/png", 8, "logo@x", Inline: true), logo),
            notes => Assert.Equal(new InboundAttachment(1, "notes.txt", "text/plain", 6, null, Inline: false), notes),
            forwarded => Assert.Equal(("forwarded.eml", "message/rfc822"), (forwarded.Filename, forwarded.ContentType)));

        var attachments = InboundMailReader.Attachments(message);
        using var notes = new MemoryStream();
        InboundMailReader.WriteContent(attachments[1].Part, notes);
        Assert.Equal("a note", Encoding.UTF8.GetString(notes.ToArray()));
        using var png = new MemoryStream();
        InboundMailReader.WriteContent(attachments[0].Part, png);
        Assert.Equal(Convert.FromBase64String("iVBORw0KGgo="), png.ToArray());
    }

    [Fact]
    public void Format_flowed_text_is_unwrapped_before_the_reply_is_taken()
    {
        var email = Read("""
            From: carol@example.test
            To: support@reply.acme.test
            Subject: flowed
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8; format=flowed

            This is one long line that the client wrapped when it sent it, as 
            format=flowed allows.

            On Sun, Acme wrote:
            > old
            """);

        Assert.Equal("This is one long line that the client wrapped when it sent it, as format=flowed allows.", email.ReplyText);
    }

    [Fact]
    public void Inbound_ids_are_validated_and_sort_by_time()
    {
        var early = InboundIds.New(T0);
        var late = InboundIds.New(T0.AddSeconds(1));

        Assert.True(InboundIds.IsValid(early));
        Assert.False(InboundIds.IsValid("in_../../msg"));
        Assert.False(InboundIds.IsValid(early.ToUpperInvariant()));
        Assert.True(string.CompareOrdinal(early, late) < 0);
        Assert.True(string.CompareOrdinal(InboundIds.LowestAt(T0), early) <= 0);
        Assert.True(string.CompareOrdinal(InboundIds.LowestAt(T0.AddMilliseconds(1)), early) > 0);
    }
}
