using Microsoft.Extensions.Time.Testing;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>RFC 5321 §4.5.3 limits, SIZE (RFC 1870), recipients, connections, idle clients and broken-off DATA.</summary>
public sealed class SmtpLimitsTests
{
    [Fact]
    public async Task SIZE_over_the_maximum_is_refused_at_MAIL()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", await client.CommandAsync("MAIL FROM:<alice@example.test> SIZE=65537"));
        Assert.Equal("250 2.1.0 Ok", await client.CommandAsync("MAIL FROM:<alice@example.test> SIZE=65536"));
    }

    [Fact]
    public async Task A_message_growing_past_the_maximum_during_DATA_is_refused_after_the_terminator()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        var line = new string('x', 998) + "\r\n";
        await client.SendAsync(string.Concat(Enumerable.Repeat(line, 70)) + ".\r\n"); // 70,000 octets > 65,536

        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.Empty(server.Handler.Deliveries);
    }

    [Fact]
    public async Task A_message_of_exactly_the_maximum_size_is_accepted_whole_and_one_octet_more_is_not()
    {
        // 65,536 octets after unstuffing, sent in one write so the server reads it in many socket
        // reads: lines of 1000 octets (the longest allowed), some dot-stuffed, none counting its dot.
        var lines = Enumerable.Range(0, 65).Select(i => (i % 3 == 1 ? "." : "x") + new string((char)('a' + (i % 26)), 997) + "\r\n");
        var exactly = string.Concat(lines) + new string('z', 534) + "\r\n";
        Assert.Equal(64 * 1024, exactly.Length);
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);

        await using (var client = await OpenDataAsync(server))
        {
            await client.SendAsync(Stuffed(exactly) + ".\r\n");
            Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        }

        await using (var client = await OpenDataAsync(server))
        {
            await client.SendAsync(Stuffed(exactly + "\r\n") + ".\r\n");
            Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", await client.ReadReplyAsync());
            Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        }

        Assert.Equal(exactly, Assert.Single(server.Handler.Deliveries).Text);

        static string Stuffed(string text) => text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_recipients_than_allowed_get_452()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("250 2.1.5 Ok", await client.CommandAsync($"RCPT TO:<r{i}@example.test>"));
        }

        Assert.Equal("452 4.5.3 Too many recipients", await client.CommandAsync("RCPT TO:<r5@example.test>"));
        await client.CommandAsync("DATA");
        await client.SendAsync("\r\n.\r\n");
        await client.ReadReplyAsync();
        Assert.Equal(5, Assert.Single(server.Handler.Deliveries).Envelope.Recipients.Count);
    }

    [Fact]
    public async Task Command_lines_over_512_octets_get_500_and_the_session_goes_on()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        var at512 = "NOOP " + new string('x', 505);
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync(at512));
        Assert.Equal("500 5.5.2 Line too long", await client.CommandAsync(at512 + "x"));
        Assert.Equal("500 5.5.2 Line too long", await client.CommandAsync("MAIL FROM:<" + new string('a', 200_000) + "@example.test>"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.Empty(server.Handler.Senders);
    }

    [Fact]
    public async Task Text_lines_over_1000_octets_get_552_after_the_terminator()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.SendAsync("Subject: long\r\n\r\n" + new string('x', 999) + "\r\n.\r\n");

        Assert.Equal("552 5.6.0 Message contains a line longer than 1000 octets", await client.ReadReplyAsync());
        Assert.Empty(server.Handler.Deliveries);
    }

    [Fact]
    public async Task Dot_stuffed_lines_are_unstuffed()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.SendAsync("Subject: dots\r\n\r\n..\r\n..leading\r\nmid.dle\r\n.\r\n");

        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("Subject: dots\r\n\r\n.\r\n.leading\r\nmid.dle\r\n", Assert.Single(server.Handler.Deliveries).Text);
    }

    [Fact]
    public async Task A_pipelined_batch_gets_every_reply_in_order()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();
        await client.ReadReplyAsync();

        await client.SendAsync("EHLO client.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<unknown@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n");

        Assert.StartsWith("250-mx.sendapi.test", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
        Assert.Equal("550 5.1.1 No such user", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
        Assert.StartsWith("354", await client.ReadReplyAsync());
        await client.SendAsync("Subject: batch\r\n\r\n.\r\nQUIT\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await client.ReadReplyAsync());
        Assert.Equal(["bob@example.test", "carol@example.test"], Assert.Single(server.Handler.Deliveries).Envelope.Recipients);
    }

    [Fact]
    public async Task Pipelined_replies_are_held_until_the_batch_has_been_answered()
    {
        // RFC 2920: replies are flushed when the input runs dry, not one by one. While the second
        // command is still being decided, the first one's reply must not have been sent yet.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingMessageHandler { RecipientGate = gate };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();

        await client.SendAsync("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n");
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(300)));

        gate.SetResult();
        Assert.Equal("250 2.1.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task One_connection_too_many_from_an_address_gets_421()
    {
        var settings = new SmtpServerSettings { Hostname = SmtpTestServer.Host, MaxConnectionsPerIp = 2 };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings);
        await using var first = await server.ConnectAndGreetAsync();
        await using var second = await server.ConnectAndGreetAsync();

        await using (var third = await server.ConnectAsync())
        {
            Assert.Equal("421 4.7.0 Too many connections from your address", await third.ReadReplyAsync());
            Assert.True(await third.IsClosedAsync());
        }

        Assert.Equal("221 2.0.0 Bye", await first.CommandAsync("QUIT"));
        Assert.True(await first.IsClosedAsync());
        Assert.True(await server.AdmitsWithinAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task An_exempt_network_is_not_held_to_the_per_address_limit()
    {
        var settings = new SmtpServerSettings
        {
            Hostname = SmtpTestServer.Host,
            MaxConnectionsPerIp = 1,
            ConnectionLimitExemptions = [System.Net.IPNetwork.Parse("127.0.0.0/8")],
        };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings);

        await using var first = await server.ConnectAndGreetAsync();
        await using var second = await server.ConnectAndGreetAsync();
        await using var third = await server.ConnectAndGreetAsync();

        Assert.Equal("250 2.0.0 Ok", await third.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task An_idle_client_is_told_421_and_disconnected()
    {
        var time = new FakeTimeProvider();
        var settings = new SmtpServerSettings { Hostname = SmtpTestServer.Host, IdleTimeout = TimeSpan.FromMinutes(5) };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings, time);
        await using var client = await server.ConnectAndGreetAsync();

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP")); // activity restarts the clock

        Assert.Equal("421 4.4.2 mx.sendapi.test Error: timeout exceeded", await SmtpAuthTests.AdvanceUntilReplyAsync(client, time, TimeSpan.FromMinutes(1)));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task A_client_idle_in_DATA_is_disconnected_and_nothing_is_delivered()
    {
        var time = new FakeTimeProvider();
        var settings = new SmtpServerSettings { Hostname = SmtpTestServer.Host, IdleTimeout = TimeSpan.FromMinutes(5) };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, settings, time);
        await using var client = await OpenDataAsync(server);
        await client.SendAsync("Subject: half\r\n\r\nbody\r\n");

        Assert.StartsWith("421 4.4.2", await SmtpAuthTests.AdvanceUntilReplyAsync(client, time, TimeSpan.FromMinutes(1)));
        Assert.True(await client.IsClosedAsync());
        Assert.Equal(0, server.Handler.DeliverCalls);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_DATA_delivers_nothing()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        var client = await OpenDataAsync(server);
        await client.SendAsync("Subject: cut\r\n\r\nalmost done\r\n.");
        await client.DisposeAsync();

        // The server notices the close (a FIN, or under load sometimes a reset) and ends the
        // session, logging 3001 on every path; nothing may have been handed on by then.
        for (var i = 0; i < 200 && !server.Logs.Entries.Any(e => e.EventId == 3001); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(server.Logs.Entries, e => e.EventId == 3001);
        Assert.Contains(server.Logs.Entries, e => e.EventId is 3005 or 3004);
        Assert.Equal(0, server.Handler.DeliverCalls);
    }

    private static async Task<SmtpTestClient> OpenDataAsync(SmtpTestServer server)
    {
        var client = await server.ConnectAndGreetAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        return client;
    }
}
