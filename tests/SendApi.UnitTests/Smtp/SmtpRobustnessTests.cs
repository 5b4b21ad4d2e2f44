using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>What happens when the application or the host misbehaves or goes away.</summary>
public sealed class SmtpRobustnessTests
{
    [Fact]
    public async Task A_failing_handler_gets_451_and_the_session_goes_on()
    {
        var handler = new RecordingMessageHandler { DeliverReply = () => throw new InvalidOperationException("store is down") };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");

        await client.SendAsync("Subject: x\r\n\r\n.\r\n");

        Assert.Equal("451 4.3.0 Error: local error in processing", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3040);
    }

    [Fact]
    public async Task Handler_reply_text_cannot_forge_extra_reply_lines()
    {
        var handler = new RecordingMessageHandler { DeliverReply = () => new SmtpServerReply(250, "2.0.0", "Ok\r\n250 2.0.0 forged") };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");

        await client.SendAsync("Subject: x\r\n\r\n.\r\n");

        Assert.Equal("250 2.0.0 Ok  250 2.0.0 forged", await client.ReadReplyAsync());
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_handler_reply_without_a_valid_enhanced_code_gets_one_of_its_class()
    {
        var handler = new RecordingMessageHandler { DeliverReply = () => new SmtpServerReply(451, "", "try later", "really") };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");

        await client.SendAsync("\r\n.\r\n");

        Assert.Equal("451-4.0.0 try later\n451 4.0.0 really", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task A_client_that_sends_its_whole_session_and_shuts_its_sending_side_still_gets_every_reply()
    {
        // The store takes a moment, so the client's FIN has surely arrived before the 250 is written.
        var handler = new RecordingMessageHandler
        {
            DeliverReply = () =>
            {
                Thread.Sleep(300);
                return new SmtpServerReply(250, "2.0.0", "Ok: queued");
            },
        };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open, handler: handler);
        await using var client = await server.ConnectAsync();

        // What `printf 'EHLO …\r\n…QUIT\r\n' | nc -N host 25` does: everything at once, then a FIN.
        await client.SendAsync("EHLO client.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
            + "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n");
        client.ShutdownSending();

        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.1.0", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.1.5", await client.ReadReplyAsync());
        Assert.StartsWith("354", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.StartsWith("221", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task A_client_that_shuts_its_sending_side_mid_session_gets_the_replies_owed_and_the_connection_closes()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAsync();

        await client.SendAsync("EHLO client.test\r\nNOOP\r\n");
        client.ShutdownSending();

        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Server_shutdown_tells_connected_clients_421()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        var stopping = server.StopAsync();

        Assert.Equal("421 4.3.2 mx.sendapi.test Service shutting down, try again later", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
