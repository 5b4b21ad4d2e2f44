using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>The everyday conversation: greeting, a transaction, the small commands, and their mistakes.</summary>
public sealed class SmtpConversationTests
{
    [Fact]
    public async Task Banner_then_EHLO_lists_the_extensions()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Submission, SmtpTestServer.Settings(tls: true));
        await using var client = await server.ConnectAsync();

        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await client.ReadReplyAsync());
        var ehlo = (await client.CommandAsync("EHLO client.test")).Split('\n');

        Assert.Equal(
            ["250-mx.sendapi.test", "250-PIPELINING", "250-SIZE 65536", "250-8BITMIME", "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES", "250 STARTTLS"],
            ehlo);
    }

    [Fact]
    public async Task EHLO_offers_AUTH_without_TLS_only_when_the_listener_allows_insecure_auth()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        var ehlo = await client.CommandAsync("EHLO client.test");

        Assert.EndsWith("250 AUTH PLAIN LOGIN", ehlo);
        Assert.DoesNotContain("STARTTLS", ehlo); // no certificate configured
    }

    [Fact]
    public async Task HELO_gets_a_plain_250_without_extensions()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        Assert.Equal("250 mx.sendapi.test", await client.CommandAsync("HELO client.test"));
    }

    [Fact]
    public async Task A_full_transaction_delivers_envelope_and_content()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test> SIZE=120 BODY=8BITMIME"));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<carol@example.test>"));
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: hi\r\n\r\nHello, Bob.\r\n.\r\n");
        Assert.Equal("250 2.0.0 Ok: queued as m1", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedAsync());

        var delivery = Assert.Single(server.Handler.Deliveries);
        Assert.Equal("alice@example.test", delivery.Envelope.MailFrom);
        Assert.Equal(["bob@example.test", "carol@example.test"], delivery.Envelope.Recipients);
        Assert.True(delivery.Envelope.EightBitMime);
        Assert.False(delivery.Envelope.SmtpUtf8);
        Assert.Equal(120, delivery.Envelope.DeclaredSize);
        Assert.Equal("Subject: hi\r\n\r\nHello, Bob.\r\n", delivery.Text);
        Assert.Equal("client.test", delivery.Session.HeloName);
        Assert.False(delivery.Session.IsTls);
    }

    [Fact]
    public async Task Several_messages_on_one_connection_are_delivered_separately()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        for (var i = 1; i <= 3; i++)
        {
            await client.CommandAsync("MAIL FROM:<alice@example.test>");
            await client.CommandAsync("RCPT TO:<bob@example.test>");
            await client.CommandAsync("DATA");
            await client.SendAsync($"Subject: {i}\r\n\r\nbody {i}\r\n.\r\n");
            Assert.Equal($"250 2.0.0 Ok: queued as m{i}", await client.ReadReplyAsync());
        }

        Assert.Equal(["body 1", "body 2", "body 3"], server.Handler.Deliveries.Select(d => d.Text.Split("\r\n\r\n")[1].TrimEnd()));
    }

    [Fact]
    public async Task Null_sender_reaches_the_handler_as_empty_string()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<>"));
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());

        Assert.Equal("", Assert.Single(server.Handler.Deliveries).Envelope.MailFrom);
    }

    [Fact]
    public async Task Addresses_are_accepted_as_clients_write_them_and_kept_as_given()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("mail from: <\"john smith\"@example.test> SMTPUTF8"));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<Bob.O'Neil+tag@Example.TEST>   "));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<@relay.test:carol@example.test>"));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<josé@exämple.test>"));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<Postmaster>"));
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: ü\r\n\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());

        var envelope = Assert.Single(server.Handler.Deliveries).Envelope;
        Assert.Equal("\"john smith\"@example.test", envelope.MailFrom);
        Assert.Equal(["Bob.O'Neil+tag@Example.TEST", "carol@example.test", "josé@exämple.test", "Postmaster"], envelope.Recipients);
        Assert.True(envelope.SmtpUtf8);
    }

    [Fact]
    public async Task Non_ASCII_address_without_SMTPUTF8_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.StartsWith("553 5.6.7", await client.CommandAsync("MAIL FROM:<josé@example.test>"));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<jose@example.test>"));
        Assert.StartsWith("553 5.6.7", await client.CommandAsync("RCPT TO:<josé@example.test>"));
    }

    [Theory]
    [InlineData("MAIL FROM:<no-at-sign>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@b", "501 5.1.7")]
    [InlineData("MAIL FROM:<a..b@example.test>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@-bad-.test>", "501 5.1.7")]
    [InlineData("MAIL FROM:alice@example.test", "501 5.5.4")]
    [InlineData("MAIL TO:<alice@example.test>", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.test> FOO=bar", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@example.test> BODY=BINARYMIME", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.test> SIZE=abc", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.test> SIZE=1 SIZE=2", "501 5.5.4")]
    public async Task Malformed_MAIL_gets_a_syntax_reply(string command, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.StartsWith(expected, await client.CommandAsync(command));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<a@example.test> AUTH=<>")); // still no transaction open
    }

    [Theory]
    [InlineData("RCPT TO:<>", "501 5.1.3")]
    [InlineData("RCPT TO:<bob>", "501 5.1.3")]
    [InlineData("RCPT TO:<bob@[999.1.1.1]>", "501 5.1.3")]
    [InlineData("RCPT TO:<bob@example.test> NOTIFY=NEVER", "555 5.5.4")]
    [InlineData("RCPT FROM:<bob@example.test>", "501 5.5.4")]
    public async Task Malformed_RCPT_gets_a_syntax_reply(string command, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.test>");

        Assert.StartsWith(expected, await client.CommandAsync(command));
        Assert.Equal("250 2.1.5 Ok", await client.CommandAsync("RCPT TO:<bob@[192.0.2.1]>"));
    }

    [Fact]
    public async Task Handler_refusals_are_sent_as_the_replies()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("550 5.7.1 Sender blocked", await client.CommandAsync("MAIL FROM:<blocked@example.test>"));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        Assert.Equal("550 5.1.1 No such user", await client.CommandAsync("RCPT TO:<unknown@example.test>"));
        Assert.Equal("554 5.5.1 Error: no valid recipients", await client.CommandAsync("DATA"));
    }

    [Fact]
    public async Task RSET_NOOP_VRFY_HELP_and_QUIT_answer_with_enhanced_codes()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("RSET"));
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.StartsWith("252 2.5.0 ", await client.CommandAsync("VRFY bob"));
        Assert.StartsWith("214-2.0.0 Commands:", await client.CommandAsync("HELP"));
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Verbs_are_case_insensitive_and_trailing_spaces_are_tolerated()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        Assert.StartsWith("250-mx.sendapi.test", await client.CommandAsync("ehlo client.test  "));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("Mail From:<alice@example.test> "));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("noop   "));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("rset "));
    }

    [Fact]
    public async Task Commands_out_of_sequence_get_503()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        Assert.Equal("503 5.5.1 Error: send HELO/EHLO first", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        await client.CommandAsync("EHLO client.test");
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("DATA"));
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        Assert.Equal("503 5.5.1 Error: nested MAIL command", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        Assert.Equal("554 5.5.1 Error: no valid recipients", await client.CommandAsync("DATA"));
    }

    [Fact]
    public async Task Unknown_and_empty_commands_get_500()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("500 5.5.2 Error: command not recognized", await client.CommandAsync("XYZZY"));
        Assert.Equal("500 5.5.2 Error: bad syntax", await client.CommandAsync(""));
        Assert.StartsWith("501 5.5.4", await client.CommandAsync("EHLO"));
    }

    [Fact]
    public async Task Too_many_protocol_errors_end_the_session()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        await client.SendAsync(string.Concat(Enumerable.Repeat("BOGUS\r\n", 25)));
        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("500 5.5.2", await client.ReadReplyAsync());
        }

        Assert.Equal("421 4.7.0 mx.sendapi.test Error: too many errors", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task An_HTTP_request_is_refused_and_the_connection_closed()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\n\r\nMAIL FROM:<a@example.test>\r\n");

        Assert.StartsWith("421 4.7.0", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(server.Handler.Senders);
    }
}
