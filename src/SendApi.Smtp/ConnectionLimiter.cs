using System.Net;
using SendApi.Core.Abuse;

namespace SendApi.Smtp;

/// <summary>
/// Counts open SMTP connections per client address, across all listeners, except from exempt
/// networks; across every instance too when the store shares the counts (<see cref="ISharedConnectionCounts"/>,
/// on Redis). This process's own count is checked first (no round trip for an address already at
/// the cap here) and stands in alone when the shared count can't be had (the store is down).
/// </summary>
internal sealed class ConnectionLimiter(SmtpServerSettings settings, ISharedConnectionCounts? shared = null)
{
    private readonly Dictionary<IPAddress, int> _open = [];

    /// <summary>A lease to dispose when the connection ends, or null when the address is at its limit, here or across instances.</summary>
    public async ValueTask<IDisposable?> TryAcquireAsync(IPAddress? address, string connectionId, CancellationToken cancellationToken)
    {
        var local = TryAcquire(address);
        if (local is not Lease lease || shared is null)
        {
            return local;
        }

        var key = lease.Address.ToString();
        bool? counted;
        try
        {
            counted = await shared.TryOpenAsync(key, connectionId, settings.MaxConnectionsPerIp, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store may have counted the connection and only its reply was lost (it went down,
            // or timed out): closing it too when the connection ends is harmless if it did not, and
            // otherwise the address would be one connection short across instances for good.
            lease.OnRelease(() => shared.Close(key, connectionId));
            return local;
        }

        switch (counted)
        {
            case null:
                return local;
            case false:
                local.Dispose();
                return null;
            default:
                lease.OnRelease(() => shared.Close(key, connectionId));
                return local;
        }
    }

    /// <summary>A lease to dispose when the connection ends, or null when the address is at its limit in this process.</summary>
    public IDisposable? TryAcquire(IPAddress? address)
    {
        if (address is null)
        {
            return NoLease.Instance; // not an IP connection (tests, sockets): nothing to count by
        }

        address = Normalize(address);
        if (settings.ConnectionLimitExemptions.Any(network => network.Contains(address)))
        {
            return NoLease.Instance;
        }

        lock (_open)
        {
            var count = _open.GetValueOrDefault(address);
            if (count >= settings.MaxConnectionsPerIp)
            {
                return null;
            }

            _open[address] = count + 1;
        }

        return new Lease(this, address);
    }

    public int OpenCount(IPAddress address)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault(Normalize(address));
        }
    }

    // The same client may arrive as 192.0.2.1 or ::ffff:192.0.2.1 on a dual-stack socket.
    internal static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private void Release(IPAddress address)
    {
        lock (_open)
        {
            if (_open.GetValueOrDefault(address) <= 1)
            {
                _open.Remove(address);
            }
            else
            {
                _open[address]--;
            }
        }
    }

    private sealed class Lease(ConnectionLimiter owner, IPAddress address) : IDisposable
    {
        private int _released;
        private Action? _alsoRelease;

        public IPAddress Address => address;

        public void OnRelease(Action release) => _alsoRelease = release;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(address);
                _alsoRelease?.Invoke();
            }
        }
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}
