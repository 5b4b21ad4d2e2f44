using System.IO.Pipelines;
using System.Text;
using SendApi.Smtp;
using SendApi.UnitTests.Smtp.Infrastructure;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// The DATA reader with reads of many bytes, as sockets deliver them: it scans each buffer segment in
/// one go, so every rule must hold wherever a segment ends — inside the terminator, between a line's
/// CRLF and its transparency dot, on a bare CR or LF, at exactly the size or line limit. Each input
/// is checked against <see cref="NaiveDataReader"/>, which works the same input out a byte at a time.
/// </summary>
public sealed class DataReaderSegmentTests
{
    private const string Rest = "NOOP\r\n";

    [Fact]
    public async Task The_terminator_split_at_any_point_ends_the_data_there()
    {
        var body = Body(lines: 40) + "last line\r\n";
        var input = body + ".\r\n" + Rest;

        for (var cut = body.Length - 4; cut <= body.Length + 4; cut++)
        {
            var (outcome, content, rest) = await ReadAsync(input, [cut]);

            Assert.Equal(DataOutcome.Complete, outcome);
            Assert.Equal(body, content);
            Assert.Equal(Rest, rest);
        }
    }

    [Fact]
    public async Task A_dot_stuffed_line_split_at_any_point_loses_only_its_transparency_dot()
    {
        var head = Body(lines: 3);
        var input = head + "..\r\n...leading dots\r\n.x\r\n" + "tail\r\n.\r\n" + Rest;
        var expected = head + ".\r\n..leading dots\r\nx\r\n" + "tail\r\n";

        for (var cut = head.Length - 3; cut <= head.Length + 30; cut++)
        {
            for (var second = cut + 1; second <= cut + 4; second++)
            {
                var (outcome, content, rest) = await ReadAsync(input, [cut, second]);

                Assert.Equal(DataOutcome.Complete, outcome);
                Assert.Equal(expected, content);
                Assert.Equal(Rest, rest);
            }
        }
    }

    [Theory]
    [InlineData("body\r", "x\r\n")] // a CR ending one read and not followed by LF in the next
    [InlineData("body", "\nx\r\n")] // a LF opening a read, with no CR before it
    [InlineData("body\r", "\r\n")] // a bare CR, then a real CRLF
    [InlineData("body\n", "\r\n")]
    [InlineData("body\r\n\r", "\n.\n")]
    [InlineData("body\r\n", "\0.\r\n")]
    public async Task A_bare_CR_or_LF_at_a_segment_boundary_poisons_the_message(string before, string after)
    {
        var head = Body(lines: 5);
        var input = head + before + after + "MAIL FROM:<evil@x.test>\r\nDATA\r\nsmuggled\r\n.\r\n" + Rest;

        var (outcome, content, rest) = await ReadAsync(input, [head.Length + before.Length]);

        Assert.Equal(DataOutcome.BareNewline, outcome);
        Assert.Equal("", content);
        Assert.Equal(Rest, rest);
    }

    [Fact]
    public async Task A_CRLF_split_between_two_reads_is_a_line_break_not_a_bare_CR()
    {
        var input = "Subject: a\r\n\r\nline one\r\nline two\r\n.\r\n";

        var (outcome, content, _) = await ReadAsync(input, [input.IndexOf("one\r", StringComparison.Ordinal) + 4]);

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("Subject: a\r\n\r\nline one\r\nline two\r\n", content);
    }

    [Fact]
    public async Task A_message_of_exactly_the_maximum_passes_and_one_octet_more_does_not_wherever_the_reads_end()
    {
        var body = Body(lines: 30);
        var max = Encoding.ASCII.GetByteCount(body);
        var bigger = "x" + body;

        foreach (var cut in new[] { 1, 77, max - 3, max - 2, max - 1, max, max + 1, max + 2 })
        {
            Assert.Equal(DataOutcome.Complete, (await ReadAsync(body + ".\r\n", [cut], max)).Outcome);
            // A transparency dot is not part of the message: stuffed, it is still exactly the maximum.
            Assert.Equal(DataOutcome.Complete, (await ReadAsync("." + body + ".\r\n", [cut], max)).Outcome);
            var (outcome, content, rest) = await ReadAsync(bigger + ".\r\n" + Rest, [cut], max);
            Assert.Equal(DataOutcome.TooLarge, outcome);
            Assert.Equal("", content);
            Assert.Equal(Rest, rest);
        }
    }

    [Fact]
    public async Task A_line_of_exactly_1000_octets_passes_and_1001_does_not_wherever_the_reads_end()
    {
        var longest = "Subject: a\r\n\r\n" + new string('a', 998) + "\r\n";
        var over = "Subject: a\r\n\r\n" + new string('a', 999) + "\r\n";

        foreach (var offset in new[] { -3, -2, -1, 0, 1 })
        {
            Assert.Equal(DataOutcome.Complete, (await ReadAsync(longest + ".\r\n", [longest.Length + offset])).Outcome);
            Assert.Equal(DataOutcome.LineTooLong, (await ReadAsync(over + ".\r\n", [over.Length + offset])).Outcome);
            Assert.Equal(DataOutcome.Complete, (await ReadAsync("." + longest + ".\r\n", [1, longest.Length + offset])).Outcome);
        }
    }

    [Fact]
    public async Task Random_inputs_cut_anywhere_read_as_a_byte_at_a_time_reading_says()
    {
        // Made of the pieces where the rules meet, so that terminators, stuffed dots, bare newlines and
        // the limits fall on segment boundaries in every combination. Seeded: a failure names its case.
        string[] pieces = ["a", "text", "é", ".", "..", "\r\n", "\r\n", "\r\n.", "\r", "\n", "\0", "\r\n.\r\n", new string('x', 996), "\r\n.\r\n" + Rest];
        var random = new Random(18);
        for (var trial = 0; trial < 4000; trial++)
        {
            // Always terminated (a CR just before it is bare, not a disconnect), so every trial has an outcome.
            var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 24)).Select(_ => pieces[random.Next(pieces.Length)])) + "\r\n.\r\n");
            var cuts = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(1, input.Length)).ToArray();
            var maxSize = random.Next(2) == 0 ? 1_000_000 : random.Next(0, input.Length);

            var expected = NaiveDataReader.Read(input, maxSize);
            var (outcome, content, consumed) = await ReadBytesAsync(input, cuts, maxSize);

            var name = $"trial {trial}: {Escape(input)} cut at [{string.Join(", ", cuts)}], max {maxSize}";
            Assert.True(expected.Outcome == outcome, $"{name}: {outcome}, expected {expected.Outcome}");
            Assert.True(expected.Content.AsSpan().SequenceEqual(content), $"{name}: content {Escape(content)}, expected {Escape(expected.Content)}");
            Assert.True(expected.Consumed == consumed, $"{name}: took {consumed} bytes, expected {expected.Consumed}");
        }
    }

    /// <summary>Header and lines of 76 characters, as a client's body would be.</summary>
    private static string Body(int lines) =>
        "Subject: segments\r\n\r\n" + string.Concat(Enumerable.Range(0, lines).Select(i => $"{i:D4}" + new string((char)('a' + (i % 26)), 72) + "\r\n"));

    private static async Task<(DataOutcome Outcome, string Content, string Remaining)> ReadAsync(string input, int[] cuts, long maxSize = 1_000_000)
    {
        var data = Encoding.UTF8.GetBytes(input);
        var (outcome, content, consumed) = await ReadBytesAsync(data, cuts, maxSize);
        return (outcome, Encoding.UTF8.GetString(content), Encoding.UTF8.GetString(data, consumed, data.Length - consumed));
    }

    private static async Task<(DataOutcome Outcome, byte[] Content, int Consumed)> ReadBytesAsync(byte[] data, int[] cuts, long maxSize)
    {
        var reader = new SegmentedPipeReader(data, cuts);
        using var channel = new SmtpChannel(reader, PipeWriter.Create(Stream.Null), TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        await using var sink = new ChunkedBufferStream();

        var outcome = await new DataReader(sink, maxSize).ReadAsync(channel);

        return (outcome, sink.ToArray(), reader.Visible - (int)channel.Buffered.Length);
    }

    private static string Escape(byte[] bytes) =>
        Encoding.UTF8.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}
