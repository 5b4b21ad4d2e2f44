using System.Net;
using System.Net.Sockets;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// Free ports on the loopback interface for the peer servers the tests start.
/// A port is found by binding port 0 and releasing it, so another process could
/// in theory grab it before the server binds it; within this test process no
/// port is handed out twice, which rules out collisions between parallel tests.
/// </summary>
internal static class FreePort
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();

    /// <summary>A TCP port that is currently free on <paramref name="address"/> (default 127.0.0.1).</summary>
    public static int Tcp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(address, 0));
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            if (Claim(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("Could not find a free TCP port.");
    }

    /// <summary>A port that is currently free for both TCP and UDP on <paramref name="address"/> (default 127.0.0.1), e.g. for a DNS server.</summary>
    public static int TcpAndUdp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(address, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException)
            {
                continue;
            }

            if (Claim(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("Could not find a port that is free for both TCP and UDP.");
    }

    private static bool Claim(int port)
    {
        lock (Gate)
        {
            return HandedOut.Add(port);
        }
    }
}
