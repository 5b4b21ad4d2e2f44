using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace SendApi.Webhooks.Network;

/// <summary>
/// This machine's own interface addresses, which a webhook may not reach even when they are public:
/// a URL naming the host's own name resolves to them, and the request would come back to SendApi or
/// to whatever else listens on this host. Read from <see cref="NetworkInterface"/> when created,
/// again after <c>Webhooks:InterfaceAddressRefresh</c> has passed (checked on use, on the given
/// clock) and at once after the system reports an address change.
/// </summary>
internal sealed partial class OwnAddresses : IDisposable
{
    public const string Kind = "one of this host's own addresses";

    private readonly TimeProvider _time;
    private readonly TimeSpan _refresh;
    private readonly Func<IEnumerable<IPAddress>> _read;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly bool _watching;
    private volatile Snapshot _current;
    private volatile bool _changed;

    /// <param name="read">Where the addresses come from; the machine's interfaces unless a test supplies its own.</param>
    public OwnAddresses(TimeProvider time, TimeSpan refresh, ILogger<OwnAddresses> logger, Func<IEnumerable<IPAddress>>? read = null)
    {
        _time = time;
        _refresh = refresh;
        _read = read ?? ReadInterfaces;
        _logger = logger;
        _current = new Snapshot(new HashSet<uint>(), new HashSet<UInt128>(), 0);
        _current = Read(_current);
        if (read is null)
        {
            try
            {
                NetworkChange.NetworkAddressChanged += OnAddressChanged;
                _watching = true;
            }
            catch (Exception ex) when (ex is NetworkInformationException or PlatformNotSupportedException)
            {
                // The periodic refresh still applies.
            }
        }
    }

    /// <summary>How many addresses the last reading found (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            var snapshot = Current();
            return snapshot.V4.Count + snapshot.V6.Count;
        }
    }

    /// <summary>
    /// <see cref="Kind"/> when <paramref name="address"/> is one of this host's addresses, or an IPv6
    /// form carrying one of its IPv4 addresses (<see cref="EmbeddedIPv4"/>); otherwise null.
    /// </summary>
    public string? Classify(IPAddress address)
    {
        var snapshot = Current();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return snapshot.V4.Contains(V4(address)) ? Kind : null;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        // Compared by value: a link-local address read from an interface carries a scope id, the same one in a URL need not.
        if (snapshot.V6.Contains(V6(address)))
        {
            return Kind;
        }

        return EmbeddedIPv4.Of(address) is { } carried && carried.Any(snapshot.V4.Contains) ? Kind : null;
    }

    public void Dispose()
    {
        if (_watching)
        {
            NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        }
    }

    private Snapshot Current()
    {
        var snapshot = _current;
        if (!_changed && _time.GetElapsedTime(snapshot.ReadAt) < _refresh)
        {
            return snapshot;
        }

        lock (_gate)
        {
            if (ReferenceEquals(_current, snapshot))
            {
                _changed = false;
                _current = Read(snapshot);
            }

            return _current;
        }
    }

    private Snapshot Read(Snapshot previous)
    {
        var now = _time.GetTimestamp();
        try
        {
            HashSet<uint> v4 = [];
            HashSet<UInt128> v6 = [];
            foreach (var address in _read())
            {
                if (address.AddressFamily == AddressFamily.InterNetwork)
                {
                    v4.Add(V4(address));
                }
                else if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    v6.Add(V6(address));
                }
            }

            return new Snapshot(v4, v6, now);
        }
        catch (Exception ex) when (ex is NetworkInformationException or SocketException or PlatformNotSupportedException or IOException)
        {
            // Keep what was known; try again after the next interval rather than on every request.
            LogReadFailed(_logger, ex);
            return previous with { ReadAt = now };
        }
    }

    private static IEnumerable<IPAddress> ReadInterfaces() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .ToList();

    private void OnAddressChanged(object? sender, EventArgs e) => _changed = true;

    private static uint V4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private static UInt128 V6(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    private sealed record Snapshot(IReadOnlySet<uint> V4, IReadOnlySet<UInt128> V6, long ReadAt);

    // Log event ids 4050–4059 (SendApi.Webhooks' range is 4000–4999, see docs/logging.md); next free: 4051.
    [LoggerMessage(EventId = 4050, Level = LogLevel.Warning, Message = "Could not read this host's interface addresses for the webhook SSRF guard; keeping the previous ones")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
