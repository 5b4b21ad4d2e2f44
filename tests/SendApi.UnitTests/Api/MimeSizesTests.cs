using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

/// <summary>The buffer a message is written into at intake holds it whole (in its stored form, CRLF line ends), so it is written once and never regrown.</summary>
public sealed class MimeSizesTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(2048, 0)]
    [InlineData(102_400, 0)]
    [InlineData(2048, 300_000)]
    public void The_estimate_holds_the_written_message(int textBytes, int attachmentBytes)
    {
        var builder = new BodyBuilder { TextBody = string.Concat(Enumerable.Repeat(new string('x', 76) + "\n", textBytes / 77 + 1))[..textBytes] };
        if (attachmentBytes > 0)
        {
            builder.Attachments.Add("report.pdf", new byte[attachmentBytes], new ContentType("application", "pdf"));
        }

        var message = new MimeMessage { Subject = "A subject of the usual length for a transactional message", Body = builder.ToMessageBody() };
        message.From.Add(new MailboxAddress("Sender Name", "sender@example.test"));
        message.To.Add(new MailboxAddress("Recipient Name", "recipient@example.test"));
        using var written = new MemoryStream();
        message.WriteTo(StoredForm.Options, written);

        var estimate = MimeSizes.Estimate(message);

        Assert.InRange(estimate, written.Length, (written.Length * 3 / 2) + 4096);
    }

    /// <summary>
    /// A 100 KB text body is written as it is (its transfer encoding is chosen per MX at delivery):
    /// the buffer need not be a tenth larger than the message, the headroom quoted-printable would need;
    /// a submitted message's many headers are counted rather than left to that headroom.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    public void A_body_written_as_it_is_gets_no_headroom_beyond_its_headers(int receivedHeaders)
    {
        var message = new MimeMessage { Subject = "s", Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat(new string('x', 76) + "\n", 1330)) } };
        message.From.Add(new MailboxAddress("Sender Name", "sender@example.test"));
        for (var i = 0; i < receivedHeaders; i++)
        {
            message.Headers.Add("Received", $"from relay{i}.example.test (relay{i}.example.test [192.0.2.{i}]) by mx.example.test with ESMTPS id {i:D20}; Mon, 30 Nov 2026 16:00:00 +0000");
        }

        using var written = new MemoryStream();
        message.WriteTo(StoredForm.Options, written);

        Assert.InRange(MimeSizes.Estimate(message), written.Length, written.Length + 2048 + 2048);
    }
}
