using System.Buffers;
using System.IO.Pipelines;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>
/// A PipeReader that reveals its data in fixed steps, one step per ReadAsync, and hands every byte
/// over as its own buffer segment. Puts read and segment boundaries exactly where a test wants them.
/// </summary>
internal sealed class ScriptedPipeReader(byte[] data, int step) : PipeReader
{
    private int _consumed;
    private int _visible;
    private ReadOnlySequence<byte> _current;

    /// <summary>The most bytes ever held unconsumed: what the reader made the pipe buffer.</summary>
    public int MaxHeld { get; private set; }

    /// <summary>How many bytes have been revealed so far.</summary>
    public int Visible => _visible;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _visible = (int)Math.Min(data.Length, (long)_visible + step);
        MaxHeld = Math.Max(MaxHeld, _visible - _consumed);
        _current = Segments(data.AsMemory(_consumed, _visible - _consumed));
        return ValueTask.FromResult(new ReadResult(_current, isCanceled: false, isCompleted: _visible == data.Length));
    }

    public override bool TryRead(out ReadResult result) => throw new NotSupportedException();

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) =>
        _consumed += (int)_current.Slice(0, consumed).Length;

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    private static ReadOnlySequence<byte> Segments(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length <= 1)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes[..1], 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.Slice(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
