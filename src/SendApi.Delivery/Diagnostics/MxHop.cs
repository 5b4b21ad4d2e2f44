namespace SendApi.Delivery.Diagnostics;

/// <summary>
/// The host, address and TLS of a transaction, read back from the "via" the transports write for
/// the timeline: <c>mx.example.com[192.0.2.1]:25 Tls13</c>, <c>mx.example.com[192.0.2.1]:25</c>
/// (plaintext), <c>capture</c>, or none when no host took the transaction.
/// </summary>
internal readonly record struct MxHop(string? Host, string? Address, bool Tls)
{
    public static MxHop Parse(string? via)
    {
        if (string.IsNullOrEmpty(via))
        {
            return new MxHop(null, null, false);
        }

        var open = via.IndexOf('[', StringComparison.Ordinal);
        var close = via.IndexOf(']', StringComparison.Ordinal);
        if (open <= 0 || close < open)
        {
            // "capture": no network, nothing to encrypt.
            return new MxHop(via, null, false);
        }

        return new MxHop(via[..open], via[(open + 1)..close], via.IndexOf(' ', close) > 0);
    }
}
