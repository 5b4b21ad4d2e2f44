using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>STARTTLS (RFC 3207) and implicit TLS (RFC 8314) with a self-signed certificate made for the test.</summary>
public sealed class SmtpTlsTests
{
    [Fact]
    public async Task STARTTLS_upgrades_and_the_client_must_EHLO_again_which_then_offers_AUTH()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        var before = await client.CommandAsync("EHLO client.test");
        Assert.Contains("STARTTLS", before);
        Assert.DoesNotContain("AUTH", before);

        Assert.Equal("220 2.0.0 Ready to start TLS", await client.CommandAsync("STARTTLS"));
        await client.HandshakeAsync();

        Assert.Equal("503 5.5.1 Error: send HELO/EHLO first", await client.CommandAsync("AUTH PLAIN " + SmtpAuthTests.Base64("\0u\0" + RecordingMessageHandler.Password)));
        var after = await client.CommandAsync("EHLO client.test");
        Assert.Contains("AUTH PLAIN LOGIN", after);
        Assert.DoesNotContain("STARTTLS", after);
        Assert.Equal("503 5.5.1 Error: TLS already active", await client.CommandAsync("STARTTLS"));

        Assert.StartsWith("235", await client.CommandAsync("AUTH PLAIN " + SmtpAuthTests.Base64("\0u\0" + RecordingMessageHandler.Password)));
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: over TLS\r\n\r\nsecret\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));

        var delivery = Assert.Single(server.Handler.Deliveries);
        Assert.True(delivery.Session.IsTls);
        Assert.Equal("Subject: over TLS\r\n\r\nsecret\r\n", delivery.Text);
    }

    [Fact]
    public async Task Commands_pipelined_after_STARTTLS_are_discarded_not_run_inside_TLS()
    {
        // CVE-2011-0411: "STARTTLS\r\nRSET\r\n" in one write. If the RSET survived the handshake,
        // its 250 would come before the reply to HELP.
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAndGreetAsync();

        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.ReadReplyAsync());
        await client.HandshakeAsync();

        Assert.StartsWith("214", await client.CommandAsync("HELP"));
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3032 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task An_injected_transaction_after_STARTTLS_does_not_exist_after_the_handshake()
    {
        var handler = new RecordingMessageHandler { TrustedIdentity = new SendApi.Smtp.SmtpIdentity("trusted", "net") };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, SmtpTestServer.Settings(tls: true), handler: handler);
        await using var client = await server.ConnectAndGreetAsync();

        await client.SendAsync("STARTTLS\r\nEHLO evil.test\r\nMAIL FROM:<evil@x.test>\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.ReadReplyAsync());
        await client.HandshakeAsync();

        await client.CommandAsync("EHLO client.test");
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<victim@y.test>"));
        Assert.Empty(handler.Senders);
    }

    [Fact]
    public async Task STARTTLS_without_a_certificate_is_454()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("454 4.7.0 TLS not available", await client.CommandAsync("STARTTLS"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task A_failed_handshake_closes_the_connection_quietly()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAndGreetAsync();

        Assert.StartsWith("220", await client.CommandAsync("STARTTLS"));
        await client.SendAsync("this is not a TLS ClientHello\r\n");

        Assert.True(await client.IsClosedAsync());
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3010 && e.Level == LogLevel.Debug);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Implicit_TLS_starts_with_the_handshake()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAsync(implicitTls: true);

        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await client.ReadReplyAsync());
        var ehlo = await client.CommandAsync("EHLO client.test");
        Assert.Contains("AUTH PLAIN LOGIN", ehlo);
        Assert.DoesNotContain("STARTTLS", ehlo);

        Assert.Equal("334 VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
        await client.CommandAsync(SmtpAuthTests.Base64("apikey"));
        Assert.StartsWith("235", await client.CommandAsync(SmtpAuthTests.Base64(RecordingMessageHandler.Password)));
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: 465\r\n\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));

        Assert.True(Assert.Single(server.Handler.Deliveries).Session.IsTls);
    }

    [Fact]
    public async Task Implicit_TLS_listener_ignores_a_plaintext_client()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAsync();

        await client.SendAsync("EHLO client.test\r\n");

        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Implicit_TLS_drops_a_client_that_never_starts_the_handshake()
    {
        var time = new FakeTimeProvider();
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, HandshakeSettings(), time);
        await using var client = await server.ConnectAsync();
        await server.WaitUntilAdmittedAsync(1);

        // The handshake deadline (10 s), long before the idle timeout (5 min).
        Assert.True(await AdvanceUntilClosedAsync(client, time, TimeSpan.FromSeconds(10)));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3013 && e.Level == LogLevel.Debug);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task STARTTLS_drops_a_client_that_never_starts_the_handshake()
    {
        var time = new FakeTimeProvider();
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, HandshakeSettings(), time);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("220 2.0.0 Ready to start TLS", await client.CommandAsync("STARTTLS"));

        Assert.True(await AdvanceUntilClosedAsync(client, time, TimeSpan.FromSeconds(10)));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3013);
    }

    [Fact]
    public async Task A_client_that_handshakes_within_the_timeout_is_served()
    {
        // 9 s of the 10 s deadline gone: slow, but in time.
        var time = new FakeTimeProvider();
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.ImplicitTls, HandshakeSettings(), time);
        await using var client = await server.ConnectAsync();
        await server.WaitUntilAdmittedAsync(1);
        time.Advance(TimeSpan.FromSeconds(9));

        await client.HandshakeAsync();
        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await client.ReadReplyAsync());
    }

    private static SmtpServerSettings HandshakeSettings() => new()
    {
        Hostname = SmtpTestServer.Host,
        Certificate = TestCertificate.Server,
        IdleTimeout = TimeSpan.FromMinutes(5),
        TlsHandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// Moves the fake clock one step at a time (the server may arm its timer after our first step)
    /// and reports whether the server closed the connection within three steps.
    /// </summary>
    private static async Task<bool> AdvanceUntilClosedAsync(SmtpTestClient client, FakeTimeProvider time, TimeSpan step)
    {
        for (var i = 0; i < 3; i++)
        {
            time.Advance(step);
            if (!await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(200)))
            {
                return await client.IsClosedAsync();
            }
        }

        return false;
    }
}
