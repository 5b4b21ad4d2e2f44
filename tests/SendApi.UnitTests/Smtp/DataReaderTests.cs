using System.IO.Pipelines;
using System.Text;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// The DATA reader alone, fed through every possible read boundary: each input is replayed with
/// reads of 1, 2, 3 and 7 bytes (every byte its own segment) and in one piece.
/// </summary>
public sealed class DataReaderTests
{
    private static readonly int[] StepSizes = [1, 2, 3, 7, int.MaxValue];

    public static TheoryData<int> Steps => new(StepSizes);

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task CRLF_dot_CRLF_ends_data_and_the_rest_is_left_for_commands(int step)
    {
        var (outcome, content, rest) = await ReadAsync("Subject: a\r\n\r\nline\r\n.\r\nQUIT\r\n", step);

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("Subject: a\r\n\r\nline\r\n", content);
        Assert.Equal("QUIT\r\n", rest);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Empty_message_ends_at_a_dot_line_right_after_DATA(int step)
    {
        var (outcome, content, rest) = await ReadAsync(".\r\n", step);

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("", content);
        Assert.Equal("", rest);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Leading_dot_is_removed_from_stuffed_lines(int step)
    {
        var (outcome, content, _) = await ReadAsync("..\r\n..x\r\n.y\r\nz.\r\n...\r\n.\r\n", step);

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal(".\r\n.x\r\ny\r\nz.\r\n..\r\n", content);
    }

    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\r.\r")]
    [InlineData("\r\n.\n")]
    [InlineData("\n.\r\n")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\r")]
    [InlineData("\r\n\0.\r\n")]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\0")]
    public async Task Bare_CR_LF_or_NUL_poisons_the_message_and_only_the_real_terminator_ends_it(string fake)
    {
        foreach (var step in StepSizes)
        {
            var input = "body" + fake + "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n";
            var (outcome, content, rest) = await ReadAsync(input, step);

            Assert.Equal(DataOutcome.BareNewline, outcome);
            Assert.Equal("", content); // nothing of it is kept
            Assert.Equal("NOOP\r\n", rest);
        }
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Line_of_1000_octets_passes_and_1001_does_not(int step)
    {
        var longest = new string('a', 998) + "\r\n";
        var stuffed = "." + new string('.', 997) + "\r\n"; // 999 on the wire, 998 + CRLF after unstuffing

        Assert.Equal(DataOutcome.Complete, (await ReadAsync(longest + stuffed + ".\r\n", step)).Outcome);
        Assert.Equal(DataOutcome.LineTooLong, (await ReadAsync("a" + longest + ".\r\n", step)).Outcome);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Size_counts_unstuffed_octets_and_overflow_is_read_to_the_end(int step)
    {
        var exactly = new string('x', 98) + "\r\n"; // 100 octets

        Assert.Equal(DataOutcome.Complete, (await ReadAsync(exactly + ".\r\n", step, maxSize: 100)).Outcome);
        Assert.Equal(DataOutcome.Complete, (await ReadAsync("." + exactly + ".\r\n", step, maxSize: 100)).Outcome);
        var (outcome, content, rest) = await ReadAsync("y" + exactly + exactly + ".\r\nNOOP\r\n", step, maxSize: 100);
        Assert.Equal(DataOutcome.TooLarge, outcome);
        Assert.Equal("", content);
        Assert.Equal("NOOP\r\n", rest);
    }

    [Theory]
    [InlineData("Subject: a\r\n\r\nbody")]
    [InlineData("Subject: a\r\n\r\nbody\r\n")]
    [InlineData("Subject: a\r\n\r\nbody\r\n.")]
    [InlineData("Subject: a\r\n\r\nbody\r\n.\r")]
    public async Task Input_ending_before_the_terminator_is_a_disconnect(string input)
    {
        foreach (var step in StepSizes)
        {
            Assert.Equal(DataOutcome.Disconnected, (await ReadAsync(input, step)).Outcome);
        }
    }

    [Fact]
    public async Task Binary_and_8bit_content_passes_through_untouched()
    {
        var bytes = Enumerable.Range(1, 255).Select(b => (byte)b).Where(b => b is not (byte)'\r' and not (byte)'\n').ToArray();
        var input = bytes.Concat("\r\n.\r\n"u8.ToArray()).ToArray();
        using var sink = new ChunkedBufferStream();
        var reader = new ScriptedPipeReader(input, 5);
        using var channel = new SmtpChannel(reader, PipeWriter.Create(Stream.Null), TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Equal(DataOutcome.Complete, await new DataReader(sink, 10_000).ReadAsync(channel));
        Assert.Equal(bytes.Concat("\r\n"u8.ToArray()), sink.ToArray());
    }

    private static async Task<(DataOutcome Outcome, string Content, string Remaining)> ReadAsync(string input, int step, long maxSize = 1_000_000)
    {
        var data = Encoding.UTF8.GetBytes(input);
        var reader = new ScriptedPipeReader(data, step);
        using var channel = new SmtpChannel(reader, PipeWriter.Create(Stream.Null), TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        await using var sink = new ChunkedBufferStream();

        var outcome = await new DataReader(sink, maxSize).ReadAsync(channel);

        var consumed = reader.Visible - (int)channel.Buffered.Length;
        return (outcome, Encoding.UTF8.GetString(sink.ToArray()), Encoding.UTF8.GetString(data, consumed, data.Length - consumed));
    }
}

internal static class StreamExtensions
{
    public static byte[] ToArray(this Stream stream)
    {
        stream.Position = 0;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
