using MimeKit;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

/// <summary>The buffer a message is written into at intake holds it whole, so it is written once and never regrown.</summary>
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
        message.WriteTo(written);

        var estimate = MimeSizes.Estimate(message);

        Assert.InRange(estimate, written.Length, (written.Length * 3 / 2) + 4096);
    }
}
