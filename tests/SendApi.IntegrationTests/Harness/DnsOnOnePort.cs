using System.Globalization;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// dnsmasq on one port for a test's whole life, started (again) with the records of the moment:
/// the application is pointed at the port first, because the records it must find (its DKIM keys)
/// exist only once it has made them.
/// </summary>
internal sealed class DnsOnOnePort : IAsyncDisposable
{
    private readonly int _port = FreePort.TcpAndUdp();

    /// <summary>What <c>Dns:Servers</c> takes.</summary>
    public string Server => $"127.0.0.1:{_port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The running server, to read its query log; null before the first <see cref="ServeAsync"/>.</summary>
    public DnsServer? Current { get; private set; }

    /// <summary>Serves <paramref name="zone"/> from now on, in place of what was served before.</summary>
    public async Task ServeAsync(Action<DnsZone> zone)
    {
        if (Current is not null)
        {
            await Current.DisposeAsync();
        }

        Current = await DnsServer.StartAsync(zone, port: _port);
    }

    public async ValueTask DisposeAsync()
    {
        if (Current is not null)
        {
            await Current.DisposeAsync();
        }
    }
}
