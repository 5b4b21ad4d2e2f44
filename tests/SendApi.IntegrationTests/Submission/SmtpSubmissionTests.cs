using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Submission;

/// <summary>
/// SMTP submission on the real listeners with real clients (MailKit, Python's smtplib, swaks),
/// ending in messages delivered to the recipients' MX and visible in the status API.
/// </summary>
public sealed partial class SmtpSubmissionTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly DeliveryWorld _world;
    private readonly SendApiApp _app;
    private readonly HttpClient _http;

    public SmtpSubmissionTests(DeliveryWorld world)
    {
        _world = world;
        _app = new SendApiApp(world.Settings());
        _http = _app.Client();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    [GeneratedRegex(@"queued as (?<id>[0-9a-f]{32})")]
    private static partial Regex QueuedAs();

    private static string IdFrom(string reply)
    {
        var match = QueuedAs().Match(reply);
        Assert.True(match.Success, $"No 'queued as <id>' in: {reply}");
        return match.Groups["id"].Value;
    }

    private async Task<SmtpClient> ConnectAsync(SecureSocketOptions security, int? port = null)
    {
        var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", port ?? (security == SecureSocketOptions.SslOnConnect ? _app.SubmissionTlsPort : _app.SubmissionPort), security);
        return client;
    }

    [Fact]
    public async Task MailKit_with_STARTTLS_and_AUTH_PLAIN_delivers_with_envelope_recipients_and_options()
    {
        var to = Unique("bob");
        var cc = Unique("carol");
        var hidden = Unique("audit");
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme", "orders@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Cc.Add(MailboxAddress.Parse(cc));
        message.Bcc.Add(MailboxAddress.Parse(hidden));
        message.Subject = "Via SMTP";
        message.Headers.Add("X-SendApi-Tags", "orders, smtp");
        message.Headers.Add("X-SendApi-Metadata-order_id", "1234");
        message.Body = new TextPart("plain") { Text = "Hello over SMTP" };

        using var client = await ConnectAsync(SecureSocketOptions.StartTls);
        Assert.True(client.IsEncrypted);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var id = IdFrom(await client.SendAsync(message));
        await client.DisconnectAsync(quit: true);

        var received = (await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.Equal([to, cc, hidden], received.RcptTos);
        var delivered = received.Parse();
        Assert.Equal("Via SMTP", delivered.Subject);
        Assert.DoesNotContain(delivered.Headers, h => h.Id == HeaderId.Bcc || h.Field.StartsWith("X-SendApi", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("with ESMTPSA id " + id, delivered.Headers["Received"]);

        var status = await _http.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal(["orders", "smtp"], status["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("1234", (string?)status["metadata"]!["order_id"]);
        Assert.Equal("bcc", (string?)status.Recipient(hidden)["type"]);
        Assert.Equal("cc", (string?)status.Recipient(cc)["type"]);
    }

    [Fact]
    public async Task MailKit_with_AUTH_LOGIN_over_implicit_TLS_sends_several_messages_on_one_connection()
    {
        using var client = await ConnectAsync(SecureSocketOptions.SslOnConnect);
        client.AuthenticationMechanisms.Remove("PLAIN");
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);

        var recipients = Enumerable.Range(0, 3).Select(i => Unique($"many{i}")).ToList();
        var ids = new List<string>();
        foreach (var to in recipients)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("a@acme.test"));
            message.To.Add(MailboxAddress.Parse(to));
            message.Subject = "one of several";
            message.Body = new TextPart("plain") { Text = "x" };
            ids.Add(IdFrom(await client.SendAsync(message)));
        }

        await client.DisconnectAsync(quit: true);
        Assert.Equal(3, ids.Distinct().Count());
        await _world.Mx1.WaitForMessagesAsync(3, Patience, m => recipients.Intersect(m.RcptTos).Any());
    }

    [Fact]
    public async Task MailKit_sends_a_240_KB_message_of_dot_leading_and_8bit_lines_and_the_MX_gets_its_text_unchanged()
    {
        // Big enough to arrive in many socket reads, so dot-stuffed lines, CRLFs and UTF-8 sequences
        // fall on the server's read boundaries; MailKit stuffs the dots and declares SIZE.
        var to = Unique("large");
        var text = string.Concat(Enumerable.Range(0, 4000).Select(i =>
            (i % 7 == 0 ? "." : i % 11 == 0 ? ".." : "") + $"{i:D5} " + (i % 5 == 0 ? "Grüße, 東京 " : "") + new string((char)('a' + (i % 26)), 50) + "\n"));
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("bulk@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "large";
        message.Body = new TextPart("plain") { Text = text, ContentTransferEncoding = ContentEncoding.EightBit };

        using var client = await ConnectAsync(SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var id = IdFrom(await client.SendAsync(message));
        await client.DisconnectAsync(quit: true);

        var received = (await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.True(received.Raw.Length > 240_000, $"only {received.Raw.Length} octets arrived");
        Assert.Equal(text, received.Parse().TextBody?.Replace("\r\n", "\n", StringComparison.Ordinal));
        await _http.WaitForStatusAsync(id, Patience, "delivered");
    }

    [Fact]
    public async Task Python_smtplib_sends_an_8bit_utf8_message_over_STARTTLS()
    {
        var to = Unique("zoë");
        var script = $$"""
            import smtplib, ssl
            from email.message import EmailMessage
            msg = EmailMessage()
            msg["From"] = "Zoë <zoe@acme.test>"
            msg["To"] = "{{to}}"
            msg["Subject"] = "Grüße aus Köln ☕"
            msg.set_content("Straße, café, 東京 — 8-bit body", cte="8bit")
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP("127.0.0.1", {{_app.SubmissionPort}}, local_hostname="py.acme.test") as s:
                s.starttls(context=ctx)
                s.login("apikey", "{{SendApiApp.AdminKey}}")
                refused = s.send_message(msg)
                print("REFUSED", refused)
            """;
        await using var python = ExternalProcess.Start(AiosmtpdSink.Python, ["-c", script]);
        Assert.True(await python.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, python.Describe());

        var received = (await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0].Parse();
        Assert.Equal("Grüße aus Köln ☕", received.Subject);
        Assert.Contains("Straße, café, 東京", received.TextBody);
    }

    [Fact]
    public async Task Swaks_with_pipelining_STARTTLS_and_AUTH_delivers()
    {
        var to = Unique("swaks");
        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
        [
            "--server", $"127.0.0.1:{_app.SubmissionPort}", "--tls", "--pipeline",
            "--auth", "PLAIN", "--auth-user", "apikey", "--auth-password", SendApiApp.AdminKey,
            "--from", "ops@acme.test", "--to", to, "--header", "Subject: from swaks", "--body", "swaks body",
        ]);
        Assert.True(await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, swaks.Describe());
        Assert.Contains("250 2.0.0 Ok: queued as", swaks.Output);
        await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to));
    }

    [Fact]
    public async Task Mail_without_authentication_is_refused_with_530()
    {
        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
            ["--server", $"127.0.0.1:{_app.SubmissionPort}", "--tls", "--from", "a@acme.test", "--to", Unique("nobody"), "--quit-after", "RCPT"]);
        Assert.NotEqual(0, await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("530 5.7.0", swaks.Output);
    }

    [Fact]
    public async Task Wrong_api_key_is_535_and_more_than_the_recipient_limit_is_452()
    {
        using var client = await ConnectAsync(SecureSocketOptions.StartTls);
        var wrong = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("apikey", "sk_wrong"));
        Assert.Contains("5.7.8", wrong.Message);

        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.AddRange(Enumerable.Range(0, 51).Select(i => MailboxAddress.Parse($"r{i}@example.test")));
        message.Body = new TextPart("plain") { Text = "x" };
        var tooMany = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.Equal(452, (int)tooMany.StatusCode);
    }

    [Fact]
    public async Task Smuggled_transaction_after_a_bare_LF_dot_is_never_delivered()
    {
        var victim = Unique("victim");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _app.SubmissionTlsPort);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("sendapi.test");
        var session = new RawSmtp(tls);
        Assert.StartsWith("220 ", await session.ReadReplyAsync());
        await session.CommandAsync("EHLO attacker.test", "250");
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0apikey\0{SendApiApp.AdminKey}"));
        await session.CommandAsync($"AUTH PLAIN {plain}", "235");
        await session.CommandAsync("MAIL FROM:<a@acme.test>", "250");
        await session.CommandAsync($"RCPT TO:<{Unique("legit")}>", "250");
        await session.CommandAsync("DATA", "354");
        await session.WriteAsync($"Subject: legit\r\n\r\nbody\n.\nMAIL FROM:<evil@acme.test>\r\nRCPT TO:<{victim}>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
        var reply = await session.ReadReplyAsync();
        Assert.StartsWith("550 5.5.2", reply);
        await session.CommandAsync("QUIT", "221");

        // Give a wrongly accepted message every chance to arrive before checking that none did.
        await Task.Delay(1500);
        Assert.DoesNotContain(_world.Mx1.Messages, m => m.RcptTos.Contains(victim) || Encoding.UTF8.GetString(m.Raw).Contains("smuggled", StringComparison.Ordinal));
    }
}
