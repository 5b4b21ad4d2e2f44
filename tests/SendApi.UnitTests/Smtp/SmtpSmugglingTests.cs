using Microsoft.Extensions.Logging;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// SMTP smuggling (CVE-2023-51764 and relatives): only CRLF "." CRLF ends DATA. Each fake terminator
/// is followed by a smuggled second transaction, which must never become a message of its own.
/// </summary>
public sealed class SmtpSmugglingTests
{
    private const string Smuggled = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\nsmuggled\r\n.\r\n";

    public static TheoryData<string, string> FakeTerminators => new()
    {
        { "LF.LF", "\n.\n" },
        { "CR.CR", "\r.\r" },
        { "CRLF.LF", "\r\n.\n" },
        { "LF.CRLF", "\n.\r\n" },
        { "CR.CRLF", "\r.\r\n" },
        { "CRLF.CR", "\r\n.\r" },
        { "CRLF NUL.CRLF", "\r\n\0.\r\n" },
    };

    [Theory]
    [MemberData(nameof(FakeTerminators))]
    public async Task Fake_terminator_does_not_end_data_and_the_message_is_refused(string name, string fake)
    {
        _ = name;
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.SendAsync("Subject: x\r\n\r\nbody" + fake + Smuggled);

        await AssertRefusedAsWholeAsync(server, client);
    }

    [Theory]
    [MemberData(nameof(FakeTerminators))]
    public async Task Fake_terminator_split_across_reads_does_not_end_data(string name, string fake)
    {
        _ = name;
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.TrickleAsync("Subject: x\r\n\r\nbody" + fake + Smuggled);

        await AssertRefusedAsWholeAsync(server, client);
    }

    [Fact]
    public async Task Bare_LF_dot_LF_does_not_end_data_even_without_a_later_terminator()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.SendAsync("Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@x.test>\n");

        // Still in DATA: no reply at all, in particular none to the "MAIL FROM".
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(300)));
        await client.SendAsync("\r\n.\r\n");
        Assert.Equal("550 5.5.2 Message contains a bare CR or LF (SMTP smuggling protection)", await client.ReadReplyAsync());
        Assert.Empty(server.Handler.Deliveries);
    }

    [Fact]
    public async Task Session_is_clean_after_a_refused_message()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);
        await client.SendAsync("body\n.\n" + Smuggled);
        Assert.StartsWith("550 5.5.2", await client.ReadReplyAsync());

        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        await client.CommandAsync("MAIL FROM:<alice@example.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: clean\r\n\r\nok\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());

        var delivery = Assert.Single(server.Handler.Deliveries);
        Assert.Equal("Subject: clean\r\n\r\nok\r\n", delivery.Text);
    }

    [Fact]
    public async Task Real_terminator_ends_data_and_what_follows_is_commands()
    {
        // The control case: the same bytes with a genuine CRLF.CRLF are two transactions. This is
        // what the fake terminators above must never turn into.
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);

        await client.SendAsync("Subject: x\r\n\r\nbody\r\n.\r\n" + Smuggled);

        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
        Assert.StartsWith("354", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.Equal(2, server.Handler.Deliveries.Count);
    }

    [Fact]
    public async Task Smuggling_attempt_is_logged_as_a_warning()
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await OpenDataAsync(server);
        await client.SendAsync("body\r\n.\n" + Smuggled);
        Assert.StartsWith("550 5.5.2", await client.ReadReplyAsync());

        Assert.Contains(server.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("smuggling", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("NOOP\nRSET\r\n")]
    [InlineData("NOOP\rRSET\r\n")]
    [InlineData("MAIL FROM:<a@example.test>\nRCPT TO:<b@example.test>\r\n")]
    public async Task Bare_CR_or_LF_in_a_command_line_is_refused_and_nothing_of_it_runs(string bytes)
    {
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.Open);
        await using var client = await server.ConnectAndGreetAsync();

        await client.SendAsync(bytes);
        Assert.Equal("500 5.5.2 Bare CR or LF not allowed", await client.ReadReplyAsync());
        Assert.True(await client.NothingArrivesAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Equal("500 5.5.2 Error: command not recognized", await client.CommandAsync("XYZZY"));
        Assert.Empty(server.Handler.Senders);
    }

    private static async Task<SmtpTestClient> OpenDataAsync(SmtpTestServer server)
    {
        var client = await server.ConnectAndGreetAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@example.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<bob@example.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        return client;
    }

    /// <summary>One 550 for the whole thing, nothing delivered, and the connection still in step.</summary>
    private static async Task AssertRefusedAsWholeAsync(SmtpTestServer server, SmtpTestClient client)
    {
        Assert.Equal("550 5.5.2 Message contains a bare CR or LF (SMTP smuggling protection)", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));
        Assert.Empty(server.Handler.Deliveries);
        Assert.Equal(0, server.Handler.DeliverCalls);
        Assert.DoesNotContain("evil@x.test", server.Handler.Senders);
    }
}
