using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Delivery;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Capture;
using SendApi.Delivery.Transport;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// Capture mode keeps "the bytes that would have been sent": the same message goes once through
/// the real SMTP transport (MailKit) to a real server (aiosmtpd, which stores what it receives
/// byte for byte) and once through the capture formatter, and the bytes must be equal.
/// </summary>
public sealed class CapturedBytesTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_unsigned_8bit_message_with_a_long_line_and_a_bcc_is_captured_as_MailKit_sends_it()
    {
        var builder = new BodyBuilder
        {
            TextBody = "Grüße aus Köln — 8-bit text.\n" + new string('x', 1500) + "\n.\nA line with a lone dot above.\n",
            HtmlBody = "<p>Grüße <b>aus</b> Köln</p>",
        };
        builder.Attachments.Add("invoice.txt", "Total: 12 €"u8.ToArray(), new ContentType("text", "plain"));
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme Störe", "orders@acme.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Bcc.Add(new MailboxAddress("", "audit@acme.test"));
        message.Subject = "Your order — ünïcödé";
        message.Body = builder.ToMessageBody();

        var (sent, captured) = await SendAndCaptureAsync(message);

        Assert.Equal(Text(sent), Text(captured));
        Assert.Equal(sent, captured);
        Assert.DoesNotContain("audit@acme.test", Text(captured), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dkim_signed_message_is_captured_unchanged_as_MailKit_sends_it()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("", "orders@acme.test"));
        message.To.Add(new MailboxAddress("", "bob@example.test"));
        message.Subject = "signed";
        message.Body = new TextPart("plain") { Text = "Grüße, 8-bit and signed: nothing may re-encode this.\n" };
        message.Headers.Add(HeaderId.DkimSignature, "v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.test; s=s1; h=from:to:subject; bh=AAAA; b=AAAA");

        var (sent, captured) = await SendAndCaptureAsync(message);

        Assert.Equal(Text(sent), Text(captured));
        Assert.Equal(sent, captured);
        Assert.Contains("Grüße", Text(captured), StringComparison.Ordinal);
    }

    /// <summary>The message as stored (bytes), loaded twice, as delivery loads it: once sent over SMTP, once captured.</summary>
    private async Task<(byte[] Sent, byte[] Captured)> SendAndCaptureAsync(MimeMessage original)
    {
        using var stored = new MemoryStream();
        original.WriteTo(FormatOptions.Default, stored);
        var rcpt = $"bytes-{Guid.NewGuid():N}@example.test";

        var options = Options.Create(new DeliveryOptions { Port = world.Port, HeloName = "sendapi.test", ConnectTimeout = "3s", CommandTimeout = "15s" });
        await using (var pool = new SmtpConnectionPool(options, TimeProvider.System))
        {
            var transport = new SmtpTransport(pool, options, NullLogger<SmtpTransport>.Instance);
            // One array for both: the verbatim path checks that the parsed parts lie in these bytes.
            var bytes = stored.ToArray();
            Assert.True(MessageBodies.TryParse(bytes, out var parsed, out var error), error);
            var result = await transport.SendAsync("mx1.example.test", IPAddress.Parse(world.Mx1.Ip), OutgoingBody.Of(parsed, bytes),
                new MailboxAddress("", "orders@acme.test"), [new MailboxAddress("", rcpt)], requireTls: false, CancellationToken.None);
            Assert.True(result is TransportResult.Answered { Replies: [{ Code: 250 }] }, $"The sink did not take the message: {result}");
        }

        var received = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(rcpt)))[0];
        return (received.Raw, CapturedBytes.Of(Load(stored)));
    }

    private static MimeMessage Load(MemoryStream stored) => MimeMessage.Load(new MemoryStream(stored.ToArray(), writable: false));

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
