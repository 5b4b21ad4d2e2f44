using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback in front of a real redis-server that can lose one reply: armed with a
/// marker, it passes on the next command that carries the marker, lets Redis carry it out, and
/// then closes the client's connection instead of passing the reply back. That is what a client
/// sees when Redis dies, or the network drops, between doing a write and answering it: the write
/// happened, the caller only hears that the connection failed.
/// </summary>
internal sealed class ReplyDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly TaskCompletionSource _dropped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _marker;

    private ReplyDroppingProxy(int target)
    {
        _target = target;
        _listener.Start();
        _ = AcceptAsync();
    }

    public string ConnectionString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Completes once a reply was dropped.</summary>
    public Task Dropped => _dropped.Task;

    public static ReplyDroppingProxy Start(int redisPort) => new(redisPort);

    /// <summary>The reply to the next command whose bytes contain <paramref name="marker"/> (a key, say) is lost.</summary>
    public void ArmOnce(string marker) => Volatile.Write(ref _marker, Encoding.UTF8.GetBytes(marker));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }

            var dropNextReply = new StrongBox<bool>();
            _ = PumpAsync(client, server, toServer: true, dropNextReply);
            _ = PumpAsync(server, client, toServer: false, dropNextReply);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool toServer, StrongBox<bool> dropNextReply)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (toServer && Volatile.Read(ref _marker) is { } marker && buffer.AsSpan(0, read).IndexOf(marker) >= 0
                    && Interlocked.CompareExchange(ref _marker, null, marker) == marker)
                {
                    Volatile.Write(ref dropNextReply.Value, true);
                }
                else if (!toServer && Volatile.Read(ref dropNextReply.Value))
                {
                    // Redis answered the marked command: the client never hears it.
                    _dropped.TrySetResult();
                    break;
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception)
        {
            // Either side went away: the other one is closed below.
        }

        from.Close();
        to.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Close());
        }

        _stop.Dispose();
    }
}
