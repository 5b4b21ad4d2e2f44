using System.Net.Sockets;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// Mail to port 25 as a reporting MTA sends it, by hand: MailKit cannot send the null sender &lt;&gt;
/// that every bounce uses. Reports come from the DSN/ARF fixtures of the unit tests, rewritten to
/// name a message this test really sent.
/// </summary>
internal static partial class InboundSmtp
{
    /// <summary>A message this test really sent and the MX received: its id, recipient, return path (VERP) and Message-ID.</summary>
    public sealed record Sent(string Id, string Recipient, string ReturnPath, string MessageIdHeader);

    /// <summary>Sends one message from <paramref name="from"/> to a fresh example.test address and waits until the MX took it.</summary>
    public static async Task<Sent> SendAndDeliverAsync(HttpClient http, DeliveryWorld world, string local, string from, string subject, string text)
    {
        var patience = TimeSpan.FromSeconds(20);
        var recipient = $"{local}-{Guid.NewGuid():N}@example.test";
        var id = await http.SendAsync(new { from, to = new[] { recipient }, subject, text });
        var received = Assert.Single(await world.Mx1.WaitForMessagesAsync(1, patience, m => m.RcptTos.Contains(recipient)));
        await http.WaitForStatusAsync(id, patience, "delivered");
        var messageIdHeader = MimeKit.MimeMessage.Load(new MemoryStream(received.Raw)).MessageId ?? throw new InvalidOperationException("The delivered message has no Message-ID");
        return new Sent(id, recipient, received.MailFrom, messageIdHeader);
    }

    /// <summary>A message sent to several recipients: each one's return path as its MX received it (one transaction per domain).</summary>
    public sealed record SentToSeveral(string Id, string MessageIdHeader, IReadOnlyDictionary<string, string> ReturnPaths);

    /// <summary>Sends one message to <paramref name="recipients"/> (fresh addresses at the MX's domains) and waits until the MX took it for all.</summary>
    public static async Task<SentToSeveral> SendAndDeliverAsync(HttpClient http, DeliveryWorld world, IReadOnlyList<string> recipients)
    {
        var patience = TimeSpan.FromSeconds(20);
        var id = await http.SendAsync(new { from = "orders@acme.test", to = recipients, subject = "Your order", text = "Thanks" });
        await http.WaitForStatusAsync(id, patience, "delivered");
        var transactions = recipients.Select(r => r[(r.IndexOf('@') + 1)..]).Distinct().Count();
        var received = await world.Mx1.WaitForMessagesAsync(transactions, patience, m => m.RcptTos.Any(recipients.Contains));
        var returnPaths = received.SelectMany(m => m.RcptTos.Where(recipients.Contains).Select(r => (r, m.MailFrom))).ToDictionary(p => p.r, p => p.MailFrom);
        var messageIdHeader = MimeKit.MimeMessage.Load(new MemoryStream(received[0].Raw)).MessageId ?? throw new InvalidOperationException("The delivered message has no Message-ID");
        return new SentToSeveral(id, messageIdHeader, returnPaths);
    }

    /// <summary>Sends <paramref name="message"/> and returns the reply to the end of DATA.</summary>
    /// <param name="smtpUtf8">Asks for SMTPUTF8 (RFC 6531), which a non-ASCII address needs.</param>
    public static async Task<string> DeliverAsync(int port, string mailFrom, string rcptTo, string message, bool smtpUtf8 = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var smtp = new RawSmtp(tcp.GetStream());
        Assert.StartsWith("220", await smtp.ReadReplyAsync());
        await smtp.CommandAsync("EHLO mx.reporter.test", "250");
        await smtp.CommandAsync($"MAIL FROM:<{mailFrom}>{(smtpUtf8 ? " SMTPUTF8" : "")}", "250");
        await smtp.CommandAsync($"RCPT TO:<{rcptTo}>", "250");
        await smtp.CommandAsync("DATA", "354");
        var crlf = LineEnd().Replace(message.TrimEnd(), "\r\n");
        var stuffed = LeadingDot().Replace(crlf, "..");
        await smtp.WriteAsync(stuffed + "\r\n.\r\n");
        var reply = await smtp.ReadReplyAsync();
        await smtp.CommandAsync("QUIT", "221");
        return reply;
    }

    /// <summary>The reply to RCPT TO (after EHLO and MAIL FROM:&lt;spammer@elsewhere.test&gt;), and the EHLO reply.</summary>
    public static async Task<(string Ehlo, string Rcpt)> TryRecipientAsync(int port, string rcptTo, bool smtpUtf8 = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var smtp = new RawSmtp(tcp.GetStream());
        Assert.StartsWith("220", await smtp.ReadReplyAsync());
        var ehlo = await smtp.CommandAsync("EHLO relay-tester.test", "250");
        await smtp.CommandAsync($"MAIL FROM:<spammer@elsewhere.test>{(smtpUtf8 ? " SMTPUTF8" : "")}", "250");
        await smtp.WriteAsync($"RCPT TO:<{rcptTo}>\r\n");
        var reply = await smtp.ReadReplyAsync();
        await smtp.CommandAsync("QUIT", "221");
        return (ehlo, reply);
    }

    /// <summary>
    /// A fixture of tests/SendApi.UnitTests/Inbound/Fixtures with its return path, its original
    /// Message-ID and the fixture's recipient replaced by those of a real message.
    /// </summary>
    public static string Fixture(string name, string returnPath, string messageIdHeader, string fixtureRecipient, string recipient)
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, "tests", "SendApi.UnitTests", "Inbound", "Fixtures", name));
        text = VerpOfFixture().Replace(text, returnPath);
        text = MessageIdOfFixture().Replace(text, $"<{messageIdHeader}>");
        return text.Replace(fixtureRecipient, recipient, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"bounces\+[0-9a-z]+-(\d+|m)@mail\.shop\.example")]
    private static partial Regex VerpOfFixture();

    [GeneratedRegex(@"<01jx[0-9a-z]+@mail\.shop\.example>")]
    private static partial Regex MessageIdOfFixture();

    [GeneratedRegex(@"\r?\n")]
    private static partial Regex LineEnd();

    [GeneratedRegex(@"(?<=^|\r\n)\.", RegexOptions.Multiline)]
    private static partial Regex LeadingDot();
}
