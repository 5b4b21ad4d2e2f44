using System.Buffers;

namespace SendApi.Smtp;

/// <summary>
/// A message body held in pooled chunks: appended to while DATA is read, then read (and seeked) by
/// the handler, for which it is read-only. Never one growing contiguous array, so a 10 MB message is not copied as it grows nor
/// put on the large object heap. Dispose returns the chunks.
/// </summary>
internal sealed class ChunkedBufferStream : Stream
{
    private const int FirstChunkSize = 4 * 1024;
    private const int LargestChunkSize = 128 * 1024;

    private readonly List<byte[]> _chunks = [];
    private long _length;
    private long _position;
    private long _lastChunkStart;
    private int _cursorChunk;
    private long _cursorChunkStart;
    private bool _disposed;
    private Task<int>? _lastRead;

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Appends at the end (the position is left where it is).</summary>
    public void Append(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            if (_chunks.Count == 0 || _length - _lastChunkStart == _chunks[^1].Length)
            {
                var size = _chunks.Count == 0 ? FirstChunkSize : Math.Min(_chunks[^1].Length * 2, LargestChunkSize);
                _lastChunkStart = _length;
                _chunks.Add(ArrayPool<byte>.Shared.Rent(size));
            }

            var space = _chunks[^1].AsSpan((int)(_length - _lastChunkStart));
            var count = Math.Min(space.Length, buffer.Length);
            buffer[..count].CopyTo(space);
            buffer = buffer[count..];
            _length += count;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var total = 0;
        while (total < buffer.Length && _position < _length)
        {
            var (chunk, offset) = Locate(_position);
            var available = (int)Math.Min(_chunks[chunk].Length - offset, _length - _position);
            var count = Math.Min(available, buffer.Length - total);
            _chunks[chunk].AsSpan(offset, count).CopyTo(buffer[total..]);
            total += count;
            _position += count;
        }

        return total;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // Overridden so the base class doesn't push every read through a thread-pool task.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

    /// <remarks>
    /// MimeKit reads through this overload, a block at a time, twice per message (parsing, then
    /// writing it out): the task of the last read is reused when the count is the same, as
    /// <see cref="MemoryStream"/> does, instead of a new one per block.
    /// </remarks>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<int>(cancellationToken);
        }

        var read = Read(buffer.AsSpan(offset, count));
        return _lastRead is { } last && last.Result == read ? last : _lastRead = Task.FromResult(read);
    }

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        while (_position < _length)
        {
            var (chunk, offset) = Locate(_position);
            var count = (int)Math.Min(_chunks[chunk].Length - offset, _length - _position);
            await destination.WriteAsync(_chunks[chunk].AsMemory(offset, count), cancellationToken);
            _position += count;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    /// <summary>Empties the buffer and returns its chunks to the pool.</summary>
    public void Clear()
    {
        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
        _length = 0;
        _position = 0;
        _lastChunkStart = 0;
        _cursorChunk = 0;
        _cursorChunkStart = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            Clear();
        }

        base.Dispose(disposing);
    }

    /// <summary>Which chunk holds <paramref name="position"/>, and where in it; every chunk but the last is full.</summary>
    /// <remarks>Walks on from the last answer, so a sequential read costs nothing per call.</remarks>
    private (int Chunk, int Offset) Locate(long position)
    {
        if (position < _cursorChunkStart)
        {
            _cursorChunk = 0;
            _cursorChunkStart = 0;
        }

        while (_cursorChunk < _chunks.Count - 1 && position >= _cursorChunkStart + _chunks[_cursorChunk].Length)
        {
            _cursorChunkStart += _chunks[_cursorChunk].Length;
            _cursorChunk++;
        }

        return (_cursorChunk, (int)(position - _cursorChunkStart));
    }
}
