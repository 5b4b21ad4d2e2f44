using System.Buffers;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// A write-only stream into an array from the shared pool, for a message's MIME on its way to the
/// store. A new array per message was a large-object allocation (a 100 KB body's buffer), zeroed
/// first and then written, and large-object allocations are what set off the full collections
/// (gen2) a 100 KB run was made of. The owner returns the array (<see cref="Dispose(bool)"/>) only
/// once nothing can read <see cref="Written"/> any more: a store that keeps the bytes copies them
/// (<see cref="Core.Messages.NewMessage.Mime"/>), and the Redis store has written them to its
/// connection once the accept script's reply is in.
/// </summary>
internal sealed class MimeBuffer(int capacity) : Stream
{
    private byte[]? _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));
    private int _length;

    /// <summary>The bytes written so far, a window on the pooled array: valid until the buffer is disposed.</summary>
    public ReadOnlyMemory<byte> Written => new(Array, 0, _length);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(MimeBuffer));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var array = Array;
        if (array.Length - _length < buffer.Length)
        {
            array = Grow(buffer.Length);
        }

        buffer.CopyTo(array.AsSpan(_length));
        _length += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }

        base.Dispose(disposing);
    }

    private byte[] Grow(int more)
    {
        var old = Array;
        var needed = (long)_length + more;
        if (needed > System.Array.MaxLength)
        {
            throw new IOException($"A message of more than {System.Array.MaxLength} bytes does not fit one buffer.");
        }

        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(System.Array.MaxLength, Math.Max(needed, old.Length * 2L)));
        old.AsSpan(0, _length).CopyTo(grown);
        _array = grown;
        ArrayPool<byte>.Shared.Return(old);
        return grown;
    }
}
