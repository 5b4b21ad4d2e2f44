using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp;

public sealed class ChunkedBufferStreamTests
{
    [Fact]
    public void Holds_a_large_message_across_chunks_and_reads_it_back_in_any_pieces()
    {
        var random = new Random(42);
        var data = new byte[3 * 1024 * 1024 + 17];
        random.NextBytes(data);
        using var stream = new ChunkedBufferStream();
        for (var offset = 0; offset < data.Length;)
        {
            var count = Math.Min(random.Next(1, 5000), data.Length - offset);
            stream.Append(data.AsSpan(offset, count));
            offset += count;
        }

        Assert.Equal(data.Length, stream.Length);
        stream.Position = 0;
        var back = new byte[data.Length];
        for (var offset = 0; offset < back.Length;)
        {
            offset += stream.Read(back.AsSpan(offset, Math.Min(random.Next(1, 70_000), back.Length - offset)));
        }

        Assert.Equal(data, back);
        Assert.Equal(0, stream.Read(new byte[1]));
    }

    [Fact]
    public async Task Seeks_and_copies_from_the_current_position()
    {
        var data = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        await using var stream = new ChunkedBufferStream();
        stream.Append(data);

        stream.Seek(-100_000, SeekOrigin.End);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(data[200_000..], copy.ToArray());

        stream.Position = 4095;
        var two = new byte[2];
        Assert.Equal(2, await stream.ReadAsync(two));
        Assert.Equal(data[4095..4097], two);
    }

    [Fact]
    public void Clear_empties_it()
    {
        using var stream = new ChunkedBufferStream();
        stream.Append(new byte[10_000]);
        stream.Clear();

        Assert.Equal(0, stream.Length);
        Assert.Equal(0, stream.Read(new byte[10]));
    }

    [Fact]
    public async Task Reads_through_the_array_overload_as_MimeKit_does_answer_each_count_and_the_end()
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        await using var stream = new ChunkedBufferStream();
        stream.Append(data);
        stream.Position = 0;

        // Equal counts in a row (where a finished task may be reused), then a short one, then the end.
        var back = new byte[data.Length];
        var counts = new List<int>();
        int count;
        while ((count = await stream.ReadAsync(back, (int)stream.Position, Math.Min(4096, back.Length - (int)stream.Position), CancellationToken.None)) > 0)
        {
            counts.Add(count);
        }

        Assert.Equal([4096, 4096, 1808], counts);
        Assert.Equal(data, back);
        Assert.Equal(0, await stream.ReadAsync(new byte[10], 0, 10, CancellationToken.None));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[10], 0, 10, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Is_read_only_for_the_handler()
    {
        using var stream = new ChunkedBufferStream();

        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1));
    }
}
