using System.Net;
using System.Text;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using SendApi.Delivery;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Transport;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// Delivery sends a stored message's bytes as they are when MailKit would not change them
/// (<see cref="OutgoingBody"/>), instead of letting MailKit write the parsed message twice. The
/// MX must receive exactly what it received before: each message goes once through plain MailKit
/// (what delivery did before) and once through <see cref="SmtpTransport"/> to a real server
/// (aiosmtpd, which keeps the bytes as received after dot-unstuffing), and bytes and MAIL FROM
/// parameters (SIZE=, BODY=8BITMIME) must be equal.
/// </summary>
public sealed class VerbatimSendTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_8bit_multipart_with_dot_lines_long_lines_and_an_attachment_arrives_as_MailKit_sent_it()
    {
        var stored = Store(Multipart(), FormatOptions.Default);

        var (before, after, verbatim) = await SendBothWaysAsync(stored);

        Assert.True(verbatim, "The message should have gone out verbatim");
        AssertSame(before, after);
        var text = Encoding.UTF8.GetString(after.Raw);
        Assert.Contains("\r\n.starts with a dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Grüße aus Köln", text, StringComparison.Ordinal);
        Assert.Contains("BODY=8BITMIME", after.MailOptions);
    }

    [Fact]
    public async Task A_message_stored_with_CRLF_line_ends_arrives_as_MailKit_sent_it()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        var stored = Store(Multipart(), options);

        var (before, after, verbatim) = await SendBothWaysAsync(stored);

        Assert.True(verbatim, "The message should have gone out verbatim");
        AssertSame(before, after);
    }

    [Fact]
    public async Task A_message_queued_with_LF_line_ends_before_an_upgrade_arrives_as_the_same_message_stored_with_CRLF_does()
    {
        // The intake now stores CRLF; a message an earlier version stored (LF) may still be queued.
        // 64 KB of dot lines: the CRLF form goes out in many writes straight from the stored bytes.
        var message = Headed();
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat(new string('x', 76) + "\n.x\n", 800)) };
        var crlf = FormatOptions.Default.Clone();
        crlf.NewLineFormat = NewLineFormat.Dos;
        var storedBefore = Store(message, FormatOptions.Default);
        var storedNow = Store(message, crlf);
        Assert.NotEqual(storedBefore.Length, storedNow.Length);

        var (mailKit, fromLf, lfVerbatim) = await SendBothWaysAsync(storedBefore);
        var (_, fromCrlf, crlfVerbatim) = await SendBothWaysAsync(storedNow);

        Assert.True(lfVerbatim && crlfVerbatim, "Both forms should have gone out verbatim");
        AssertSame(mailKit, fromLf);
        AssertSame(mailKit, fromCrlf);
    }

    [Fact]
    public async Task A_7bit_message_without_a_transfer_encoding_header_arrives_as_MailKit_sent_it()
    {
        var message = Headed();
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat(new string('x', 76) + "\n.x\n", 800)) };
        var stored = Store(message, FormatOptions.Default);

        var (before, after, verbatim) = await SendBothWaysAsync(stored);

        Assert.True(verbatim, "The message should have gone out verbatim");
        AssertSame(before, after);
        Assert.DoesNotContain("BODY=8BITMIME", after.MailOptions);
    }

    [Fact]
    public async Task A_message_MailKit_must_re_encode_goes_through_MailKit_and_arrives_as_before()
    {
        var message = Headed();
        // A 1,500-octet line and 8-bit text without a transfer encoding: MailKit makes the part
        // quoted-printable (RFC 5321 caps lines at 1,000 octets), so the stored bytes can't go as they are.
        message.Body = new TextPart("plain") { Text = "Grüße\n" + new string('y', 1500) + "\n" };
        var stored = Store(message, FormatOptions.Default);

        var (before, after, verbatim) = await SendBothWaysAsync(stored);

        Assert.False(verbatim, "A message MailKit re-encodes must go through MailKit");
        AssertSame(before, after);
        Assert.Contains("quoted-printable", Encoding.ASCII.GetString(after.Raw), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_message_with_a_bcc_header_goes_through_MailKit_which_drops_the_header()
    {
        var message = Multipart();
        message.Bcc.Add(new MailboxAddress("", "hidden@acme.test"));
        var stored = Store(message, FormatOptions.Default);

        var (before, after, verbatim) = await SendBothWaysAsync(stored);

        Assert.False(verbatim, "A message with a Bcc header must go through MailKit");
        AssertSame(before, after);
        Assert.DoesNotContain("hidden@acme.test", Encoding.UTF8.GetString(after.Raw), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multipart_without_its_closing_boundary_arrives_as_MailKit_sent_it()
    {
        // A client's multipart that never closes (cut short, or "--b-- x", which is no boundary),
        // stored as intake stores it: parsed, then written by MimeKit. MimeKit writes one more line
        // end each time it writes such a multipart, so MailKit never sends the stored bytes as they are.
        var submitted = "From: orders@acme.test\nTo: bob@example.test\nSubject: cut short\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhello\n"u8.ToArray();
        var stored = Store(MimeMessage.Load(new MemoryStream(submitted, writable: false)), FormatOptions.Default);

        var (before, after, _) = await SendBothWaysAsync(stored);

        AssertSame(before, after);
    }

    [Fact]
    public async Task One_pooled_session_sends_verbatim_and_MailKit_messages_in_turn_each_as_MailKit_sent_it()
    {
        // The session's carriers are reused transaction after transaction: an 8bit verbatim
        // message, one MailKit re-encodes, a 7bit verbatim one, and the 8bit one again must each
        // arrive as plain MailKit sent it, nothing of one transaction left in the next.
        var eightBit = Store(Multipart(), FormatOptions.Default);
        var reEncoded = Headed();
        reEncoded.Body = new TextPart("plain") { Text = "Grüße\n" + new string('y', 1500) + "\n" };
        var sevenBit = Headed();
        sevenBit.Body = new TextPart("plain") { Text = "plain ascii\n.dot\n" };
        byte[][] messages = [eightBit, Store(reEncoded, FormatOptions.Default), Store(sevenBit, FormatOptions.Default), eightBit];
        var sender = new MailboxAddress("", "orders@acme.test");
        var tag = Guid.NewGuid().ToString("N");

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync(world.Mx1.Ip, world.Port, MailKit.Security.SecureSocketOptions.None);
            for (var i = 0; i < messages.Length; i++)
            {
                Assert.True(MessageBodies.TryParse(messages[i], out var parsed, out var error), error);
                await client.SendAsync(parsed, sender, [new MailboxAddress("", $"before-{i}-{tag}@example.test")]);
            }

            await client.DisconnectAsync(quit: true);
        }

        var options = Options.Create(new DeliveryOptions { Port = world.Port, HeloName = "sendapi.test", ConnectTimeout = "3s", CommandTimeout = "15s" });
        await using (var pool = new SmtpConnectionPool(options, TimeProvider.System))
        {
            var transport = new SmtpTransport(pool, options, NullLogger<SmtpTransport>.Instance);
            for (var i = 0; i < messages.Length; i++)
            {
                Assert.True(MessageBodies.TryParse(messages[i], out var parsed, out var error), error);
                var result = await transport.SendAsync("mx1.example.test", IPAddress.Parse(world.Mx1.Ip), OutgoingBody.Of(parsed, messages[i]),
                    sender, [new MailboxAddress("", $"after-{i}-{tag}@example.test")], requireTls: false, CancellationToken.None);
                Assert.True(result is TransportResult.Answered { Replies: [{ Code: 250 }] }, $"The sink did not take message {i}: {result}");
            }
        }

        for (var i = 0; i < messages.Length; i++)
        {
            var before = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains($"before-{i}-{tag}@example.test")))[0];
            var after = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains($"after-{i}-{tag}@example.test")))[0];
            AssertSame(before, after);
        }
    }

    private static MimeMessage Headed()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme Störe", "orders@acme.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Subject = "Your order — ünïcödé";
        return message;
    }

    /// <summary>What intake stores: 8-bit text (declared 8bit) with lines that start with dots and one of 990 octets, HTML, and a binary attachment.</summary>
    private static MimeMessage Multipart()
    {
        var message = Headed();
        var text = new TextPart("plain")
        {
            Text = "Grüße aus Köln — 8-bit text.\n.starts with a dot\n..two dots\n.\nafter a lone dot\n" + new string('z', 990) + "\nend\n",
            ContentTransferEncoding = ContentEncoding.EightBit,
        };
        var html = new TextPart("html") { Text = "<p>Grüße <b>aus</b> Köln</p>\n", ContentTransferEncoding = ContentEncoding.EightBit };
        var attachment = new MimePart("application", "pdf")
        {
            Content = new MimeContent(new MemoryStream([.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))])),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = "invoice.pdf",
        };
        message.Body = new Multipart("mixed") { new MultipartAlternative { text, html }, attachment };
        return message;
    }

    private static byte[] Store(MimeMessage message, FormatOptions options)
    {
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    private static void AssertSame(ReceivedMessage before, ReceivedMessage after)
    {
        Assert.Equal(Encoding.UTF8.GetString(before.Raw), Encoding.UTF8.GetString(after.Raw));
        Assert.Equal(before.Raw, after.Raw);
        Assert.Equal(before.MailOptions, after.MailOptions);
        // SIZE= is what the server received (before dot-stuffing, which the server undoes).
        Assert.Contains($"SIZE={after.Raw.Length}", after.MailOptions);
    }

    /// <summary>
    /// Sends <paramref name="stored"/> once as delivery did before (parsed, handed to MailKit) and
    /// once through <see cref="SmtpTransport"/>; returns both as received, and whether the second
    /// went out verbatim.
    /// </summary>
    private async Task<(ReceivedMessage Before, ReceivedMessage After, bool Verbatim)> SendBothWaysAsync(byte[] stored)
    {
        var sender = new MailboxAddress("", "orders@acme.test");
        var rcptBefore = $"before-{Guid.NewGuid():N}@example.test";
        var rcptAfter = $"after-{Guid.NewGuid():N}@example.test";

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync(world.Mx1.Ip, world.Port, MailKit.Security.SecureSocketOptions.None);
            Assert.True(MessageBodies.TryParse(stored, out var parsed, out var error), error);
            await client.SendAsync(parsed, sender, [new MailboxAddress("", rcptBefore)]);
            await client.DisconnectAsync(quit: true);
        }

        bool verbatim;
        var options = Options.Create(new DeliveryOptions { Port = world.Port, HeloName = "sendapi.test", ConnectTimeout = "3s", CommandTimeout = "15s" });
        await using (var pool = new SmtpConnectionPool(options, TimeProvider.System))
        {
            Assert.True(MessageBodies.TryParse(stored, out var parsed, out var error), error);
            var body = OutgoingBody.Of(parsed, stored);
            var transport = new SmtpTransport(pool, options, NullLogger<SmtpTransport>.Instance);
            var result = await transport.SendAsync("mx1.example.test", IPAddress.Parse(world.Mx1.Ip), body,
                sender, [new MailboxAddress("", rcptAfter)], requireTls: false, CancellationToken.None);
            Assert.True(result is TransportResult.Answered { Replies: [{ Code: 250 }] }, $"The sink did not take the message: {result}");
            verbatim = body.TryVerbatim(EncodingConstraint.EightBit, out _, out _);
        }

        var before = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(rcptBefore)))[0];
        var after = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(rcptAfter)))[0];
        return (before, after, verbatim);
    }
}
