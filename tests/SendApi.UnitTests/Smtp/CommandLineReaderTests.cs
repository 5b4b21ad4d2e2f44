using System.IO.Pipelines;
using System.Text;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>Command lines: CRLF only, at most 512 octets (12288 for AUTH), at every read boundary.</summary>
public sealed class CommandLineReaderTests
{
    private static readonly int[] StepSizes = [1, 2, 5, int.MaxValue];

    [Fact]
    public async Task Lines_end_at_CRLF_wherever_the_reads_split()
    {
        foreach (var step in StepSizes)
        {
            Assert.Equal(["Line:EHLO a", "Line:NOOP", "Line:", "Closed:"], await ReadAllAsync("EHLO a\r\nNOOP\r\n\r\n", step));
        }
    }

    [Fact]
    public async Task Bare_LF_or_CR_refuses_the_line_up_to_the_next_CRLF()
    {
        foreach (var step in StepSizes)
        {
            Assert.Equal(["BareNewline:", "Line:QUIT", "Closed:"], await ReadAllAsync("NOOP\nRSET\r\nQUIT\r\n", step));
            Assert.Equal(["BareNewline:", "Line:QUIT", "Closed:"], await ReadAllAsync("NOOP\rRSET\r\nQUIT\r\n", step));
            Assert.Equal(["BareNewline:", "Line:QUIT", "Closed:"], await ReadAllAsync("\n\n\nMAIL FROM:<a@b.c>\n\r\nQUIT\r\n", step));
        }
    }

    [Fact]
    public async Task A_command_line_may_have_512_octets_with_its_CRLF()
    {
        var longest = "NOOP " + new string('x', 505);
        foreach (var step in StepSizes)
        {
            Assert.Equal(["Line:" + longest, "Closed:"], await ReadAllAsync(longest + "\r\n", step));
            Assert.Equal(["TooLong:", "Line:QUIT", "Closed:"], await ReadAllAsync(longest + "x\r\nQUIT\r\n", step));
        }
    }

    [Fact]
    public async Task AUTH_lines_may_have_12288_octets()
    {
        var auth = "AUTH PLAIN " + new string('A', 12288 - 13);
        Assert.Equal(["Line:" + auth, "Closed:"], await ReadAllAsync(auth + "\r\n", 1000));
        Assert.Equal(["TooLong:", "Closed:"], await ReadAllAsync(auth + "A\r\n", 1000));
    }

    [Fact]
    public async Task An_endless_line_is_discarded_as_it_arrives_not_buffered()
    {
        var data = Encoding.ASCII.GetBytes(new string('x', 1_000_000) + "\r\nQUIT\r\n");
        var reader = new ScriptedPipeReader(data, 4096);

        Assert.Equal(["TooLong:", "Line:QUIT", "Closed:"], await ReadAllAsync(reader));
        Assert.True(reader.MaxHeld <= CommandLineReader.MaxCommandLine + 4096, $"held {reader.MaxHeld} bytes");
    }

    [Fact]
    public async Task Invalid_UTF8_is_reported_not_replaced()
    {
        var data = new byte[] { (byte)'M', 0xC3, 0x28, (byte)'\r', (byte)'\n' };
        Assert.Equal(["InvalidUtf8:", "Closed:"], await ReadAllAsync(new ScriptedPipeReader(data, 1)));
    }

    private static Task<List<string>> ReadAllAsync(string input, int step) =>
        ReadAllAsync(new ScriptedPipeReader(Encoding.UTF8.GetBytes(input), step));

    private static async Task<List<string>> ReadAllAsync(ScriptedPipeReader reader)
    {
        using var channel = new SmtpChannel(reader, PipeWriter.Create(Stream.Null), TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var lines = new CommandLineReader();
        var results = new List<string>();
        while (true)
        {
            var line = await lines.ReadAsync(channel);
            results.Add($"{line.Status}:{line.Text}");
            if (line.Status == CommandLineStatus.Closed)
            {
                return results;
            }
        }
    }
}
