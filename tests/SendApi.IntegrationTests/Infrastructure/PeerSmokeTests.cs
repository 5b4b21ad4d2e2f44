using System.Net;
using System.Net.Sockets;
using System.Text;
using DnsClient;
using DnsClient.Protocol;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>Proves each peer fixture drives the real third-party program as the end-to-end tests expect.</summary>
public sealed class PeerSmokeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static Task<DnsServer> StartDnsAsync() =>
        DnsServer.StartAsync(z => z
            .Mx("example.test", "mx1.example.test", 10)
            .Mx("example.test", "mx2.example.test", 20)
            .A("mx1.example.test", "127.0.0.2")
            .A("mx2.example.test", "127.0.0.4")
            .NullMx("nullmx.test")
            .A("afallback.test", "127.0.0.3"));

    [Fact]
    public async Task Dnsmasq_serves_mx_records_with_preferences_and_their_addresses()
    {
        await using var dns = await StartDnsAsync();
        var client = dns.CreateLookupClient();

        var mx = await client.QueryAsync("example.test", QueryType.MX);
        var a = await client.QueryAsync("mx1.example.test", QueryType.A);

        Assert.Equal(DnsHeaderResponseCode.NoError, mx.Header.ResponseCode);
        var records = mx.Answers.MxRecords().OrderBy(r => r.Preference).Select(r => (r.Preference, r.Exchange.Value)).ToList();
        Assert.Equal([((ushort)10, "mx1.example.test."), ((ushort)20, "mx2.example.test.")], records);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), Assert.Single(a.Answers.ARecords()).Address);
    }

    [Fact]
    public async Task Dnsmasq_serves_null_mx_as_preference_zero_root()
    {
        await using var dns = await StartDnsAsync();

        var response = await dns.CreateLookupClient().QueryAsync("nullmx.test", QueryType.MX);

        Assert.Equal(DnsHeaderResponseCode.NoError, response.Header.ResponseCode);
        var record = Assert.Single(response.Answers.MxRecords());
        Assert.Equal(0, record.Preference);
        Assert.Equal(".", record.Exchange.Value);
    }

    [Fact]
    public async Task Dnsmasq_answers_nodata_for_mx_of_a_domain_with_only_an_a_record()
    {
        await using var dns = await StartDnsAsync();
        var client = dns.CreateLookupClient();

        var mx = await client.QueryAsync("afallback.test", QueryType.MX);
        var a = await client.QueryAsync("afallback.test", QueryType.A);

        Assert.Equal(DnsHeaderResponseCode.NoError, mx.Header.ResponseCode);
        Assert.Empty(mx.Answers);
        Assert.Equal(IPAddress.Parse("127.0.0.3"), Assert.Single(a.Answers.ARecords()).Address);
    }

    [Fact]
    public async Task Dnsmasq_answers_nxdomain_for_unknown_test_names_and_refuses_other_tlds()
    {
        await using var dns = await StartDnsAsync();
        var client = dns.CreateLookupClient();

        var unknown = await client.QueryAsync("unknown.test", QueryType.MX);
        var outside = await client.QueryAsync("example.com", QueryType.MX);

        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, unknown.Header.ResponseCode);
        Assert.Equal(DnsHeaderResponseCode.Refused, outside.Header.ResponseCode);
    }

    [Fact]
    public async Task Dnsmasq_serves_txt_records_longer_than_255_octets()
    {
        var text = "v=DKIM1; k=rsa; p=" + new string('A', 400);
        await using var dns = await DnsServer.StartAsync(z => z.Txt("sel._domainkey.example.test", text));

        var response = await dns.CreateLookupClient().QueryAsync("sel._domainkey.example.test", QueryType.TXT);

        Assert.Equal(text, string.Concat(Assert.Single(response.Answers.TxtRecords()).Text));
    }

    [Fact]
    public async Task Aiosmtpd_sink_stores_the_bytes_mailkit_sent()
    {
        const string ip = "127.0.0.11";
        await using var sink = await AiosmtpdSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.test"));
        message.To.Add(new MailboxAddress("Empfänger", "rcpt@example.test"));
        message.Subject = "Grüße";
        message.Body = new TextPart("plain")
        {
            // 8-bit UTF-8 and a line starting with "." (dot-stuffed on the wire, unstuffed by the sink).
            Text = "Grüße aus Köln.\r\n.leading dot\r\n..two dots\r\n",
            ContentTransferEncoding = ContentEncoding.EightBit,
        };

        using (var smtp = new SmtpClient())
        {
            smtp.LocalDomain = "client.example.test";
            await smtp.ConnectAsync(ip, sink.Port, SecureSocketOptions.None);
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(quit: true);
        }

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, Timeout));
        using var expected = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        await message.WriteToAsync(format, expected);
        Assert.Equal(Encoding.UTF8.GetString(expected.ToArray()), Encoding.UTF8.GetString(received.Raw));
        Assert.Equal(expected.ToArray(), received.Raw);
        Assert.Equal("sender@example.test", received.MailFrom);
        Assert.Equal(["rcpt@example.test"], received.RcptTos);
        Assert.Equal("client.example.test", received.Helo);
        Assert.Contains("BODY=8BITMIME", received.MailOptions);
        var parsed = received.Parse();
        Assert.Equal("Grüße", parsed.Subject);
        Assert.Contains("\n.leading dot\n..two dots\n", (parsed.TextBody ?? string.Empty).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aiosmtpd_sink_defers_a_defer_once_recipient_then_accepts_it()
    {
        const string ip = "127.0.0.12";
        await using var sink = await AiosmtpdSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(ip, sink.Port, SecureSocketOptions.None);

        var first = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("defer-once-1@example.test")));
        await smtp.SendAsync(Message("defer-once-1@example.test"));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, first.ErrorCode);
        Assert.Equal(451, (int)first.StatusCode);
        Assert.Contains("4.3.0 Try again later", first.Message, StringComparison.Ordinal);
        Assert.Equal(["defer-once-1@example.test"], Assert.Single(await sink.WaitForMessagesAsync(1, Timeout)).RcptTos);
    }

    [Fact]
    public async Task Aiosmtpd_sink_rejects_reject_recipients_and_always_defers_defer_always_recipients()
    {
        const string ip = "127.0.0.13";
        await using var sink = await AiosmtpdSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(ip, sink.Port, SecureSocketOptions.None);

        var rejected = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("reject-me@example.test")));
        var deferred1 = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("defer-always@example.test")));
        var deferred2 = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("defer-always@example.test")));

        Assert.Equal(550, (int)rejected.StatusCode);
        Assert.Contains("5.1.1 No such user", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(451, (int)deferred1.StatusCode);
        Assert.Equal(451, (int)deferred2.StatusCode);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Aiosmtpd_sink_exits_cleanly_on_sigterm()
    {
        const string ip = "127.0.0.14";
        await using var sink = await AiosmtpdSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));

        Assert.Equal(0, await sink.StopAsync());
    }

    [Fact]
    public async Task Smtp_sink_counts_a_message_sent_by_swaks()
    {
        const string ip = "127.0.0.15";
        await using var sink = await PostfixSmtpSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));

        var (exitCode, output) = await SwaksAsync(ip, sink.Port, "someone@example.test");

        Assert.True(exitCode == 0, output);
        Assert.Equal(1, sink.CountMessages());
        Assert.Contains("X-Rcpt-Args: <someone@example.test>", Assert.Single(sink.ReadDumps()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtp_sink_hard_reject_mode_answers_rcpt_with_550()
    {
        const string ip = "127.0.0.16";
        await using var sink = await PostfixSmtpSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)), "-f", "RCPT", "-B", "550 5.1.1 No such user");

        var (exitCode, output) = await SwaksAsync(ip, sink.Port, "someone@example.test");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("550 5.1.1 No such user", output, StringComparison.Ordinal);
        Assert.Equal(0, sink.CountMessages());
    }

    [Fact]
    public async Task Smtp_sink_counts_a_transaction_only_once_its_final_dot_is_answered()
    {
        const string ip = "127.0.0.17";
        await using var sink = await PostfixSmtpSink.StartAsync(ip, FreePort.Tcp(IPAddress.Parse(ip)));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse(ip), sink.Port);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        var stream = client.GetStream();

        async Task<string> Command(string line)
        {
            if (line.Length > 0)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            }

            string reply;
            do
            {
                reply = await reader.ReadLineAsync() ?? throw new IOException("smtp-sink closed the connection.");
            }
            while (reply.Length > 3 && reply[3] == '-');
            return reply;
        }

        Assert.StartsWith("220", await Command(string.Empty), StringComparison.Ordinal);
        Assert.StartsWith("250", await Command("EHLO client.example.test"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Command("MAIL FROM:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Command("RCPT TO:<b@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await Command("DATA"), StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("Subject: in progress\r\n\r\nbody\r\n"));
        await Task.Delay(100);
        var duringData = sink.CountMessages();
        var filesDuringData = Directory.GetFiles(sink.DumpDirectory, "*", SearchOption.AllDirectories).Length;
        Assert.StartsWith("250", await Command("."), StringComparison.Ordinal);
        var afterDot = sink.CountMessages();

        Assert.Equal(1, filesDuringData);
        Assert.Equal(0, duringData);
        Assert.Equal(1, afterDot);
    }

    [Fact]
    public async Task Redis_answers_ping_and_keeps_data_across_a_crash_restart()
    {
        await using var redis = await RedisServer.StartAsync();

        Assert.Equal("+PONG", await redis.PingAsync());
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var db = connection.GetDatabase();
            Assert.True((await db.PingAsync()) < TimeSpan.FromSeconds(1));
            await db.StringSetAsync("durable", "yes");
        }

        await redis.RestartAsync();

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            Assert.Equal("yes", (string?)await connection.GetDatabase().StringGetAsync("durable"));
        }

        await redis.FlushAllAsync();
        Assert.Equal(":0", await redis.ExecuteAsync("DBSIZE"));
    }

    private static MimeMessage Message(string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "test";
        message.Body = new TextPart("plain") { Text = "hello\r\n" };
        return message;
    }

    private static async Task<(int ExitCode, string Output)> SwaksAsync(string ip, int port, string to)
    {
        await using var swaks = ExternalProcess.Start(
            ExternalProcess.ResolveExecutable("swaks"),
            ["--server", $"{ip}:{port}", "--to", to, "--from", "sender@example.test", "--helo", "client.example.test", "--timeout", "5"]);
        var exitCode = await swaks.WaitForExitAsync(Timeout);
        return (exitCode, swaks.Output);
    }
}
