using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>AUTH PLAIN and LOGIN (RFC 4954), when it is offered, and how failures are throttled.</summary>
public sealed class SmtpAuthTests
{
    private static readonly string GoodPlain = Base64("\0apikey\0" + RecordingMessageHandler.Password);
    private static readonly string BadPlain = Base64("\0apikey\0wrong");

    [Fact]
    public async Task MAIL_before_AUTH_is_refused_with_530()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
    }

    [Fact]
    public async Task AUTH_PLAIN_with_initial_response_authenticates()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync("AUTH PLAIN " + GoodPlain));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: a\r\n\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());

        Assert.Equal("key-1", Assert.Single(server.Handler.Deliveries).Session.Identity?.Name);
    }

    [Fact]
    public async Task AUTH_PLAIN_with_a_334_continuation_authenticates()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("334 ", await client.CommandAsync("auth plain"));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync(GoodPlain));
    }

    [Fact]
    public async Task AUTH_LOGIN_asks_for_user_name_then_password()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("334 VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await client.CommandAsync(Base64("apikey")));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync(Base64(RecordingMessageHandler.Password)));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
    }

    [Fact]
    public async Task AUTH_LOGIN_with_the_user_name_as_initial_response_asks_only_for_the_password()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("334 UGFzc3dvcmQ6", await client.CommandAsync("AUTH LOGIN " + Base64("apikey")));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync(Base64(RecordingMessageHandler.Password)));
    }

    [Theory]
    [InlineData("AUTH PLAIN not*base64")]
    [InlineData("AUTH PLAIN AGFwaWtleQ==")] // "\0apikey": no password part
    [InlineData("AUTH PLAIN //79")] // not UTF-8
    [InlineData("AUTH LOGIN %%%")]
    public async Task Garbage_credentials_get_501_not_an_error(string command)
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("501 5.5.2 Error: malformed authentication response", await client.CommandAsync(command));
        Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync("AUTH PLAIN " + GoodPlain));
        Assert.Equal(1, server.Handler.AuthenticateCalls);
    }

    [Fact]
    public async Task Garbage_in_a_continuation_gets_501()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        await client.CommandAsync("AUTH LOGIN");
        await client.CommandAsync(Base64("apikey"));
        Assert.StartsWith("501 5.5.2", await client.CommandAsync("!!!not base64!!!"));
    }

    [Fact]
    public async Task Star_cancels_the_exchange()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        await client.CommandAsync("AUTH LOGIN");
        Assert.Equal("501 5.0.0 Authentication cancelled", await client.CommandAsync("*"));
        Assert.Equal("334 ", await client.CommandAsync("AUTH PLAIN"));
        Assert.Equal("501 5.0.0 Authentication cancelled", await client.CommandAsync("*"));
        Assert.Equal(0, server.Handler.AuthenticateCalls);
    }

    [Fact]
    public async Task AUTH_without_TLS_is_refused_with_538_and_not_offered()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        Assert.DoesNotContain("AUTH", await client.CommandAsync("EHLO client.test"));
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism", await client.CommandAsync("AUTH PLAIN " + GoodPlain));
        Assert.Equal(0, server.Handler.AuthenticateCalls);
    }

    [Fact]
    public async Task AUTH_twice_during_a_transaction_or_with_an_unknown_mechanism_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("504 5.5.4 Unrecognized authentication type", await client.CommandAsync("AUTH CRAM-MD5"));
        await client.CommandAsync("AUTH PLAIN " + GoodPlain);
        Assert.DoesNotContain("AUTH", await client.CommandAsync("EHLO client.test"));
        Assert.Equal("503 5.5.1 Error: already authenticated", await client.CommandAsync("AUTH PLAIN " + GoodPlain));
    }

    [Fact]
    public async Task AUTH_inside_a_transaction_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth, handler: new RecordingMessageHandler { TrustedIdentity = new SmtpIdentity("trusted", "net") });
        await using var client = await server.ConnectAndGreetAsync();

        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        Assert.Equal("503 5.5.1 Error: AUTH not permitted during a mail transaction", await client.CommandAsync("AUTH PLAIN " + GoodPlain));
    }

    [Fact]
    public async Task Wrong_credentials_get_535_and_are_logged_with_the_address_but_never_the_password()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("535 5.7.8 Authentication credentials invalid", await client.CommandAsync("AUTH PLAIN " + BadPlain));
        Assert.Equal("530 5.7.0 Authentication required", await client.CommandAsync("MAIL FROM:<alice@example.test>"));

        var entry = Assert.Single(server.Logs.Entries, e => e.EventId == 3021);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("127.0.0.1", entry.Message);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("wrong", StringComparison.Ordinal) || e.Message.Contains(BadPlain, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_trusted_client_may_send_without_AUTH()
    {
        var handler = new RecordingMessageHandler { TrustedIdentity = new SmtpIdentity("trusted-key", "net") };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("trusted-key", Assert.Single(handler.Deliveries).Session.Identity?.Name);
    }

    [Fact]
    public async Task Repeated_failures_are_delayed_then_disconnected_and_the_address_stays_locked_out()
    {
        var time = new FakeTimeProvider();
        var settings = new SmtpServerSettings
        {
            Hostname = SmtpTestServer.Host,
            AuthFailuresBeforeDelay = 2,
            AuthFailuresBeforeDisconnect = 4,
            AuthFailureDelay = TimeSpan.FromSeconds(3),
            AuthFailureWindow = TimeSpan.FromMinutes(15),
        };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth, settings, time);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + BadPlain));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + BadPlain));

        // The third failure is held back until the (fake) clock has moved on by the delay.
        await client.SendAsync("AUTH PLAIN " + BadPlain + "\r\n");
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(300)));
        Assert.StartsWith("535 5.7.8", await AdvanceUntilReplyAsync(client, time, settings.AuthFailureDelay));

        await client.SendAsync("AUTH PLAIN " + BadPlain + "\r\n");
        Assert.Equal("421 4.7.0 Too many authentication failures", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());

        // A new connection from the same address gets no free guess, not even a right one.
        var calls = server.Handler.AuthenticateCalls;
        await using var again = await server.ConnectAndGreetAsync();
        Assert.Equal("421 4.7.0 Too many authentication failures", await again.CommandAsync("AUTH PLAIN " + GoodPlain));
        Assert.Equal(calls, server.Handler.AuthenticateCalls);
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3022 && e.Level == LogLevel.Warning);

        // Once the window has passed, the address may try again.
        time.Advance(settings.AuthFailureWindow);
        await using var later = await server.ConnectAndGreetAsync();
        Assert.Equal("235 2.7.0 Authentication successful", await later.CommandAsync("AUTH PLAIN " + GoodPlain));
    }

    internal static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>Moves the fake clock in steps until the server answers (its timer may start after our first step).</summary>
    internal static async Task<string> AdvanceUntilReplyAsync(SmtpTestClient client, FakeTimeProvider time, TimeSpan step)
    {
        for (var i = 0; i < 50; i++)
        {
            time.Advance(step);
            if (!await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(100)))
            {
                return await client.ReadReplyAsync();
            }
        }

        throw new TimeoutException("The server never answered.");
    }
}
