using System.Buffers;
using System.Net.Sockets;

namespace SendApi.Delivery.Transport;

/// <summary>
/// The connection MailKit speaks SMTP over, in place of MailKit's own socket stream. MailKit writes
/// a message in 4 KB pieces, and each piece was a system call of its own and a loopback or network
/// segment of its own (25 per 100 KB message, most of the kernel time a delivery costs): here what
/// MailKit (or the TLS layer above it) writes is gathered, up to <see cref="GatherBytes"/>, and sent
/// when MailKit flushes or when it next reads. A client always reads the reply to what it sent, so
/// nothing waits here while MailKit waits for an answer. Read and write time limits are MailKit's
/// (<c>SmtpClient.Timeout</c>, set on this stream), kept with one reusable timer per direction rather
/// than a new timer and task per call.
/// </summary>
internal sealed class SmtpWireStream(Socket socket) : Stream
{
    /// <summary>The most gathered before it is sent; a larger write goes out as it is.</summary>
    internal const int GatherBytes = 64 * 1024;

    /// <summary>
    /// The most one write time limit covers. The limit means "the server stopped taking bytes", not
    /// "the server took all of them quickly": a server that reads steadily but slowly must not be cut
    /// off because 64 KB were sent at once (MailKit timed each 4 KB write). Each slice is still one
    /// system call when the socket has room, so a 100 KB message takes about 7 instead of 25.
    /// </summary>
    internal const int ProgressBytes = 16 * 1024;

    private readonly NetworkStream _network = new(socket, ownsSocket: true);
    private readonly Deadline _reads = new("read");
    private readonly Deadline _writes = new("write");

    // Rented while something waits to be sent, so that an idle pooled session holds no buffer.
    private byte[]? _gathered;
    private int _gatheredLength;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override bool CanTimeout => true;

    public override int ReadTimeout
    {
        get => _reads.Milliseconds;
        set
        {
            _reads.Milliseconds = value;
            socket.ReceiveTimeout = value == Timeout.Infinite ? 0 : value;
        }
    }

    public override int WriteTimeout
    {
        get => _writes.Milliseconds;
        set
        {
            _writes.Milliseconds = value;
            socket.SendTimeout = value == Timeout.Infinite ? 0 : value;
        }
    }

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await SendGatheredAsync(cancellationToken);
        var token = _reads.Start(cancellationToken, out var linked);
        try
        {
            return await _network.ReadAsync(buffer, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw _reads.Expired();
        }
        finally
        {
            _reads.Stop(linked);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_gatheredLength + buffer.Length > GatherBytes)
        {
            await SendGatheredAsync(cancellationToken);
        }

        if (buffer.Length >= GatherBytes)
        {
            await SendAsync(buffer, cancellationToken);
            return;
        }

        _gathered ??= ArrayPool<byte>.Shared.Rent(GatherBytes);
        buffer.Span.CopyTo(_gathered.AsSpan(_gatheredLength));
        _gatheredLength += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => SendGatheredAsync(cancellationToken).AsTask();

    // The synchronous calls (MailKit's Dispose may send QUIT this way) use the socket's own limits.
    public override int Read(byte[] buffer, int offset, int count)
    {
        SendGathered();
        return _network.Read(buffer, offset, count);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        SendGathered();
        _network.Write(buffer, offset, count);
    }

    public override void Flush() => SendGathered();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Whatever is still gathered is dropped with the connection, as a socket's unsent bytes
            // are. The socket goes first: a send still pending could otherwise go out from a buffer
            // the pool has already handed to another message.
            _network.Dispose();
            Release();
            _reads.Dispose();
            _writes.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        if (_gatheredLength == 0)
        {
            return;
        }

        await SendAsync(_gathered.AsMemory(0, _gatheredLength), cancellationToken);
        Release();
    }

    private void SendGathered()
    {
        if (_gatheredLength > 0)
        {
            _network.Write(_gathered!, 0, _gatheredLength);
            Release();
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (bytes.Length > ProgressBytes)
        {
            await SendSliceAsync(bytes[..ProgressBytes], cancellationToken);
            bytes = bytes[ProgressBytes..];
        }

        await SendSliceAsync(bytes, cancellationToken);
    }

    private async ValueTask SendSliceAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var token = _writes.Start(cancellationToken, out var linked);
        try
        {
            await _network.WriteAsync(bytes, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw _writes.Expired();
        }
        finally
        {
            _writes.Stop(linked);
        }
    }

    private void Release()
    {
        if (_gathered is { } gathered)
        {
            _gathered = null;
            _gatheredLength = 0;
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    /// <summary>One direction's time limit: a timer armed for each call and disarmed after it, reused.</summary>
    private sealed class Deadline(string direction) : IDisposable
    {
        private CancellationTokenSource? _timer;

        public int Milliseconds { get; set; } = Timeout.Infinite;

        public CancellationToken Start(CancellationToken cancellationToken, out CancellationTokenSource? linked)
        {
            linked = null;
            if (Milliseconds == Timeout.Infinite)
            {
                return cancellationToken;
            }

            // A timer that fired (its call failed) cannot be reset; a disarmed one can.
            if (_timer is null || !_timer.TryReset())
            {
                _timer?.Dispose();
                _timer = new CancellationTokenSource();
            }

            _timer.CancelAfter(Milliseconds);
            if (!cancellationToken.CanBeCanceled)
            {
                return _timer.Token;
            }

            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
            return linked.Token;
        }

        public void Stop(CancellationTokenSource? linked)
        {
            linked?.Dispose();
            _timer?.CancelAfter(Timeout.Infinite);
        }

        public TimeoutException Expired() => new($"The server did not complete a {direction} within {Milliseconds} ms.");

        public void Dispose() => _timer?.Dispose();
    }
}
