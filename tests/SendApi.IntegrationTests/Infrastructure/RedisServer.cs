using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, with its own data directory and
/// durable settings (AOF, fsync on every write, no RDB snapshots, no eviction). Disposing kills
/// it and deletes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly string[] _extraArguments;
    private ExternalProcess _process;

    private RedisServer(ExternalProcess process, int port, string directory, string[] extraArguments)
    {
        _process = process;
        _extraArguments = extraArguments;
        Port = port;
        DataDirectory = directory;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string, "127.0.0.1:PORT".</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The server's working directory (holds appendonlydir/).</summary>
    public string DataDirectory { get; }

    /// <summary>What redis-server printed so far (for diagnostics).</summary>
    public string Output => _process.Output;

    /// <param name="extraArguments">More redis-server options, after (and so over) the durable defaults, e.g. "--replicaof", "127.0.0.1 6379".</param>
    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var directory = Directory.CreateTempSubdirectory("sendapi-redis-").FullName;
        var port = FreePort.Tcp();
        var process = Launch(port, directory, extraArguments);
        var server = new RedisServer(process, port, directory, extraArguments);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Simulates a crash and restart: kills redis-server (SIGKILL, no shutdown save) and starts
    /// it again on the same port and data directory, so it reloads the append-only file.
    /// </summary>
    public async Task RestartAsync()
    {
        await _process.DisposeAsync();
        _process = Launch(Port, DataDirectory, _extraArguments);
        await WaitUntilReadyAsync();
    }

    /// <summary>An outage: kills redis-server (SIGKILL); <see cref="StartAgainAsync"/> brings it back on the same port and data.</summary>
    public async Task StopAsync() => await _process.DisposeAsync();

    /// <summary>Starts redis-server again after <see cref="StopAsync"/>, on the same port and data directory.</summary>
    public async Task StartAgainAsync()
    {
        _process = Launch(Port, DataDirectory, _extraArguments);
        await WaitUntilReadyAsync();
    }

    /// <summary>A hung Redis (SIGSTOP): connections stay open and nothing answers. <see cref="Resume"/> ends it.</summary>
    public void Freeze() => ExternalProcess.Signal(_process.Id, 19);

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Resume() => ExternalProcess.Signal(_process.Id, 18);

    /// <summary>FLUSHALL.</summary>
    public async Task FlushAllAsync()
    {
        var reply = await ExecuteAsync("FLUSHALL");
        if (reply != "+OK")
        {
            throw new InvalidOperationException($"FLUSHALL answered '{reply}'.\n{_process.Describe()}");
        }
    }

    /// <summary>PING; returns the reply line ("+PONG").</summary>
    public Task<string> PingAsync() => ExecuteAsync("PING");

    /// <summary>
    /// Sends one command over a fresh connection (RESP) and returns the first reply line, e.g.
    /// "+OK", ":3", "$5" or "-ERR ...". Enough for readiness checks and housekeeping.
    /// </summary>
    public async Task<string> ExecuteAsync(params string[] command)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
        var line = new List<byte>();
        var buffer = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(buffer, timeout.Token) == 0)
            {
                throw new IOException("redis-server closed the connection before replying.");
            }

            if (buffer[0] == (byte)'\n' && line.Count > 0 && line[^1] == (byte)'\r')
            {
                return Encoding.UTF8.GetString(line.ToArray(), 0, line.Count - 1);
            }

            line.Add(buffer[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private static ExternalProcess Launch(int port, string directory, string[] extraArguments) =>
        ExternalProcess.Start(
            ExternalProcess.ResolveExecutable("redis-server"),
            [
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--protected-mode", "no",
                "--dir", directory,
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--maxmemory-policy", "noeviction",
                "--daemonize", "no",
                "--logfile", "",
                .. extraArguments,
            ],
            workingDirectory: directory);

    private async Task WaitUntilReadyAsync()
    {
        await _process.WaitForTcpAsync(IPAddress.Loopback, Port, StartTimeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? reply = null;
        while (clock.Elapsed < StartTimeout)
        {
            try
            {
                // While the AOF is loading the server answers "-LOADING ...".
                reply = await PingAsync();
                if (reply == "+PONG")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                reply = ex.Message;
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"redis-server did not answer PING with +PONG (last: {reply}).\n{_process.Describe()}");
    }
}
