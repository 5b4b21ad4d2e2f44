using System.Buffers;
using System.IO.Pipelines;

namespace SendApi.Smtp;

/// <summary>
/// The session's byte stream: what has been read but not yet consumed, and the replies written but
/// not yet flushed. Replies are flushed only when the input runs dry, so a pipelined batch (RFC 2920)
/// gets all its replies in one write, in order.
/// </summary>
internal sealed class SmtpChannel : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly CancellationToken _sessionToken;
    private readonly CancellationTokenSource _idle;
    private readonly CancellationTokenSource _linked;
    private ReadOnlySequence<byte> _buffer;
    private bool _holdingBuffer;
    private bool _unflushed;

    public SmtpChannel(PipeReader input, PipeWriter output, TimeProvider time, TimeSpan idleTimeout, CancellationToken sessionToken)
    {
        Input = input;
        Output = output;
        _time = time;
        _idleTimeout = idleTimeout;
        _sessionToken = sessionToken;
        // One timer, re-armed around every wait for the client rather than a new source per read.
        _idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(sessionToken, _idle.Token);
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    /// <summary>Connection closed or server stopping; the idle timer is not part of it (handler calls are not timed out).</summary>
    public CancellationToken SessionToken => _sessionToken;

    public bool IdleExpired => _idle.IsCancellationRequested && !_sessionToken.IsCancellationRequested;

    /// <summary>Bytes read from the client and not yet consumed.</summary>
    public ReadOnlySequence<byte> Buffered => _holdingBuffer ? _buffer : ReadOnlySequence<byte>.Empty;

    public void Consume(SequencePosition position) => _buffer = _buffer.Slice(position);

    /// <summary>
    /// Flushes pending replies (the input ran dry) and waits for more bytes. False when the client
    /// closed its side and nothing new arrived.
    /// </summary>
    public async ValueTask<bool> ReadMoreAsync()
    {
        var before = Buffered.Length;
        ReleaseBuffer();
        await FlushAsync();

        ReadResult result;
        _idle.CancelAfter(_idleTimeout);
        try
        {
            result = await Input.ReadAsync(_linked.Token);
        }
        finally
        {
            _idle.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        _buffer = result.Buffer;
        _holdingBuffer = true;
        return !(result.IsCanceled || (result.IsCompleted && _buffer.Length <= before));
    }

    /// <summary>Drops everything buffered; returns how many bytes were dropped.</summary>
    public long DiscardBuffered()
    {
        var dropped = Buffered.Length;
        if (_holdingBuffer)
        {
            Input.AdvanceTo(_buffer.End);
            _holdingBuffer = false;
            _buffer = default;
        }

        return dropped;
    }

    /// <summary>Continues on new pipes (after a TLS handshake). The old input must have been discarded.</summary>
    public void SwitchTo(PipeReader input, PipeWriter output)
    {
        if (_holdingBuffer)
        {
            throw new InvalidOperationException("Buffered input must be discarded before switching pipes.");
        }

        Input = input;
        Output = output;
    }

    public void Write(SmtpServerReply reply)
    {
        SmtpReplyWriter.Write(reply, Output);
        _unflushed = true;
    }

    public async ValueTask FlushAsync()
    {
        if (!_unflushed)
        {
            return;
        }

        _unflushed = false;
        // A client that stops reading is as idle as one that stops writing.
        _idle.CancelAfter(_idleTimeout);
        try
        {
            await Output.FlushAsync(_linked.Token);
        }
        finally
        {
            _idle.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Best-effort last words (421) after the idle timer fired: its own timer, and no exception.</summary>
    public async ValueTask SayGoodbyeAsync(SmtpServerReply reply)
    {
        try
        {
            Write(reply);
            _unflushed = false;
            using var deadline = new CancellationTokenSource(_idleTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_sessionToken, deadline.Token);
            await Output.FlushAsync(linked.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone or not reading: nothing more to tell it.
        }
    }

    public void Dispose()
    {
        _linked.Dispose();
        _idle.Dispose();
    }

    private void ReleaseBuffer()
    {
        if (_holdingBuffer)
        {
            // Unconsumed bytes stay; examined up to the end so the next read waits for new ones.
            Input.AdvanceTo(_buffer.Start, _buffer.End);
            _holdingBuffer = false;
        }
    }
}
