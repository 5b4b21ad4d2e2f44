using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A broken authoritative name server on a UDP port of 127.0.0.1, for a <see cref="DnsServer"/> to
/// forward names to (<see cref="DnsZone.Forward"/>): one that answers every question with SERVFAIL,
/// or one that never answers. dnsmasq cannot be made to do either by itself (a forwarder without an
/// upstream answers REFUSED; relayed REFUSED stays REFUSED), and these are what the resolvers of
/// real domains meet when a zone's servers are broken or gone.
/// </summary>
public sealed class BrokenNameServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private BrokenNameServer(Socket socket, bool answer)
    {
        _socket = socket;
        _serving = answer ? ServeAsync() : Task.CompletedTask;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Answers every query with SERVFAIL (RCODE 2), echoing the question.</summary>
    public static BrokenNameServer Servfail() => new(Bind(), answer: true);

    /// <summary>
    /// Holds a UDP port and never reads from it: queries are dropped without an ICMP error, as by a
    /// server that is down behind a firewall, and no other process can take the port and answer.
    /// </summary>
    public static BrokenNameServer Silent() => new(Bind(), answer: false);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _serving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private async Task ServeAsync()
    {
        var buffer = new byte[4096];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            if (received.ReceivedBytes < 12)
            {
                continue;
            }

            var query = buffer.AsSpan(0, received.ReceivedBytes);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
            var reply = query.ToArray();
            // QR (response), the query's opcode and RD, RA, RCODE 2 (SERVFAIL); one question, no records.
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), (ushort)(0x8000 | (flags & 0x7900) | 0x0080 | 2));
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), 0);
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), 0);
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(10), 0);
            var questionEnd = QuestionEnd(reply);
            await _socket.SendToAsync(reply.AsMemory(0, questionEnd), SocketFlags.None, received.RemoteEndPoint, _stop.Token);
        }
    }

    /// <summary>Where the (single) question ends: the reply carries no OPT or other records from the query.</summary>
    private static int QuestionEnd(byte[] message)
    {
        var offset = 12;
        while (offset < message.Length && message[offset] != 0)
        {
            offset += message[offset] + 1;
        }

        return Math.Min(offset + 1 + 4, message.Length);
    }
}
