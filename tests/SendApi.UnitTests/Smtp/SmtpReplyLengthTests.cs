using System.Text;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets. Each case sends the longest input a
/// command accepts (512 octets a command line, 12288 an AUTH line) where the reply echoes it, or
/// where a handler's reply does.
/// </summary>
public sealed class SmtpReplyLengthTests
{
    private const string Sender = "MAIL FROM:<alice@example.test>";
    private const string Recipient = "RCPT TO:<bob@example.test>";

    public static TheoryData<string> Cases
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var name in Scenarios.Keys)
            {
                names.Add(name);
            }

            return names;
        }
    }

    private static readonly Dictionary<string, Scenario> Scenarios = new()
    {
        ["MAIL parameter with bad syntax"] = new([], Fill(Sender + " ", '_'), "501 5.5.4 Bad parameter syntax: ___", Cut: true),
        ["MAIL parameter with 8-bit text"] = new([], Fill("MAIL FROM:<a@b.test> ", 'é'), "501 5.5.4 Bad parameter syntax: ééé", Cut: true),
        ["MAIL unsupported parameter"] = new([], Fill(Sender + " ", 'X'), "555 5.5.4 Unsupported parameter XXX", Cut: true),
        ["RCPT parameter with bad syntax"] = new([Sender], Fill(Recipient + " ", '_'), "501 5.5.4 Bad parameter syntax: ___", Cut: true),
        ["RCPT unsupported parameter"] = new([Sender], Fill(Recipient + " ", 'X'), "555 5.5.4 Unsupported parameter XXX", Cut: true),
        ["RCPT refused by a handler that echoes the address"] = new([Sender], LongestRecipient, "550 5.1.1 <", Cut: true),
        ["DATA answered by a handler with long lines"] = new([Sender, Recipient, "DATA"], ".", "451-4.3.0 Could not store", Cut: true),
        ["MAIL with a long address"] = new([], Fill("MAIL FROM:<", 'a')[..^1] + ">", "501 5.1.7 Bad sender address syntax", Cut: false),
        ["EHLO with a long name"] = new([], Fill("EHLO ", 'h'), "250-mx.sendapi.test", Cut: false),
        ["HELO with a long name"] = new([], Fill("HELO ", 'h'), "250 mx.sendapi.test", Cut: false),
        ["VRFY with a long argument"] = new([], Fill("VRFY ", 'v'), "252 2.5.0", Cut: false),
        ["An unknown long verb"] = new([], Fill("", 'Z'), "500 5.5.2 Error: command not recognized", Cut: false),
        ["AUTH with a long mechanism"] = new([], "AUTH " + new string('M', 12000), "504 5.5.4", Cut: false),
        ["AUTH PLAIN with a long initial response"] = new([], "AUTH PLAIN " + new string('A', 12000), "501 5.5.2", Cut: false),
        ["AUTH LOGIN with a long answer"] = new(["AUTH LOGIN"], new string('!', 12000), "501 5.5.2", Cut: false),
    };

    /// <summary>An address at the 254-octet limit, which the handler below repeats twice in its refusal.</summary>
    private static string LongestRecipient => $"RCPT TO:<{new string('r', 64)}@{new string('d', 63)}.{new string('d', 63)}.{new string('d', 56)}.test>";

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task No_reply_line_exceeds_512_octets(string name)
    {
        var scenario = Scenarios[name];
        var handler = new RecordingMessageHandler
        {
            RecipientCheck = address => address.Length < 100 ? null
                : new SmtpServerReply(550, "5.1.1", $"<{address}>: Recipient address rejected: {address} is not known here"),
            DeliverReply = () => new SmtpServerReply(451, "4.3.0", "Could not store " + new string('m', 2000), "Details: " + new string('d', 2000)),
        };
        await using var server = await SmtpTestServer.StartAsync(SmtpTestServer.InsecureAuth with { RequireAuth = false }, handler: handler);
        await using var client = await server.ConnectAndGreetAsync();
        foreach (var command in scenario.Before)
        {
            await client.CommandAsync(command);
        }

        var reply = await client.CommandAsync(scenario.Line);

        Assert.StartsWith(scenario.Expected, reply);
        Assert.All(reply.Split('\n'), line => Assert.True(Encoding.UTF8.GetByteCount(line) + 2 <= 512, $"{Encoding.UTF8.GetByteCount(line) + 2} octets: {line}"));
        Assert.Equal(scenario.Cut, reply.Contains("..."));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    /// <summary><paramref name="head"/> followed by <paramref name="filler"/> up to 510 octets: the longest command line, CRLF aside.</summary>
    private static string Fill(string head, char filler)
    {
        var room = 510 - Encoding.UTF8.GetByteCount(head);
        return head + new string(filler, room / Encoding.UTF8.GetByteCount(filler.ToString()));
    }

    private sealed record Scenario(string[] Before, string Line, string Expected, bool Cut);
}
