using System.Buffers;
using System.IO.Pipelines;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>
/// A PipeReader that reveals its data up to the next cut on each ReadAsync, as a socket read would,
/// and keeps every read its own buffer segment, unconsumed bytes of earlier reads included, as
/// Kestrel's pipe does. Unlike <see cref="ScriptedPipeReader"/> (every byte a segment), a segment
/// here holds many bytes, so the code that scans a segment in one go meets its boundaries exactly
/// where a test puts them.
/// </summary>
internal sealed class SegmentedPipeReader : PipeReader
{
    private readonly byte[] _data;
    private readonly int[] _ends;
    private int _reads;
    private int _consumed;
    private ReadOnlySequence<byte> _current;

    /// <param name="cuts">Offsets inside <paramref name="data"/> where one read ends and the next begins.</param>
    public SegmentedPipeReader(byte[] data, IEnumerable<int> cuts)
    {
        _data = data;
        _ends = [.. cuts.Where(c => c > 0 && c < data.Length).Distinct().Order(), data.Length];
    }

    /// <summary>How many bytes have been revealed so far.</summary>
    public int Visible => _reads == 0 ? 0 : _ends[_reads - 1];

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _reads = Math.Min(_reads + 1, _ends.Length);
        _current = Segments();
        return ValueTask.FromResult(new ReadResult(_current, isCanceled: false, isCompleted: _reads == _ends.Length));
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

    /// <summary>The unconsumed bytes, split where the reads that brought them ended.</summary>
    private ReadOnlySequence<byte> Segments()
    {
        if (_consumed == Visible)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null;
        Segment? last = null;
        var start = _consumed;
        foreach (var end in _ends.Take(_reads).Where(end => end > _consumed))
        {
            var memory = _data.AsMemory(start, end - start);
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
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
