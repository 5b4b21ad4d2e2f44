namespace SendApi.Smtp;

/// <summary>
/// The open connections of one listener (one per <see cref="SmtpServerExtensions.UseSmtp"/> call),
/// held to <see cref="SmtpServerSettings.MaxConnections"/>. Each listener counts on its own, so a
/// crowd on 587 can't lock bounces and replies out of port 25, nor the other way round.
/// </summary>
/// <remarks>
/// Nobody is exempt, not even <see cref="SmtpServerSettings.ConnectionLimitExemptions"/>: the
/// per-address cap protects clients from each other, this one protects the server itself (its
/// sockets, memory and TLS state), and a trusted network is often a wide range (10.0.0.0/8)
/// whose application servers can leak connections or be compromised like any other host.
/// </remarks>
internal sealed class ListenerCapacity
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A slot to dispose when the connection ends, or null when the listener is full.</summary>
    public IDisposable? TryEnter(int max)
    {
        if (Interlocked.Increment(ref _open) > max)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(ListenerCapacity owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open);
            }
        }
    }
}
