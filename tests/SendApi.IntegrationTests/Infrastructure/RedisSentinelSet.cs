using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A real Redis primary, one replica and one <c>redis-sentinel</c> (quorum 1) on 127.0.0.1, as an
/// operator would run them for failover: SendApi connects through the sentinel
/// (<see cref="ConnectionString"/> names the service) and <see cref="FailoverAsync"/> forces a
/// failover (<c>SENTINEL FAILOVER</c>). Disposing kills all three.
/// </summary>
public sealed class RedisSentinelSet : IAsyncDisposable
{
    public const string ServiceName = "sendapi";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private readonly RedisServer _first;
    private readonly RedisServer _second;
    private readonly ExternalProcess _sentinel;
    private readonly string _directory;
    private readonly ConnectionMultiplexer _admin;
    private readonly ConnectionMultiplexer _sentinelAdmin;

    private RedisSentinelSet(RedisServer first, RedisServer second, ExternalProcess sentinel, int sentinelPort, string directory, ConnectionMultiplexer admin, ConnectionMultiplexer sentinelAdmin)
    {
        _sentinelAdmin = sentinelAdmin;
        _first = first;
        _second = second;
        _sentinel = sentinel;
        SentinelPort = sentinelPort;
        _directory = directory;
        _admin = admin;
    }

    public int SentinelPort { get; }

    /// <summary>What an operator puts in ConnectionStrings__Redis: the sentinel and the service name.</summary>
    public string ConnectionString => $"127.0.0.1:{SentinelPort},serviceName={ServiceName}";

    public static async Task<RedisSentinelSet> StartAsync()
    {
        var first = await RedisServer.StartAsync();
        RedisServer? second = null;
        ExternalProcess? sentinel = null;
        var directory = Directory.CreateTempSubdirectory("sendapi-sentinel-").FullName;
        try
        {
            second = await RedisServer.StartAsync("--replicaof", $"127.0.0.1 {first.Port}");
            var port = FreePort.Tcp();
            // Sentinel rewrites its configuration file (what it learns about replicas, epochs): it needs its own.
            var config = Path.Combine(directory, "sentinel.conf");
            await File.WriteAllLinesAsync(config,
            [
                $"port {port}",
                "bind 127.0.0.1",
                "protected-mode no",
                "daemonize no",
                $"dir {directory}",
                $"sentinel monitor {ServiceName} 127.0.0.1 {first.Port} 1",
                $"sentinel down-after-milliseconds {ServiceName} 2000",
                $"sentinel failover-timeout {ServiceName} 10000",
            ]);
            sentinel = ExternalProcess.Start(ExternalProcess.ResolveExecutable("redis-sentinel"), [config], workingDirectory: directory);
            await sentinel.WaitForTcpAsync(IPAddress.Loopback, port, ReadyTimeout);
            // Two clients: a sentinel speaks only the SENTINEL commands, the servers the rest.
            var admin = await ConnectionMultiplexer.ConnectAsync(
                $"127.0.0.1:{first.Port},127.0.0.1:{second.Port},protocol=resp2,allowAdmin=true,abortConnect=false");
            var sentinelAdmin = await ConnectionMultiplexer.SentinelConnectAsync($"127.0.0.1:{port},protocol=resp2,allowAdmin=true,abortConnect=false");
            var set = new RedisSentinelSet(first, second, sentinel, port, directory, admin, sentinelAdmin);
            await set.WaitUntilReplicatedAsync(first.Port, second.Port);
            return set;
        }
        catch
        {
            if (sentinel is not null)
            {
                await sentinel.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }

            await first.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of the current primary, as the sentinel names it.</summary>
    public async Task<int> PrimaryPortAsync()
    {
        var address = await Sentinel.SentinelGetMasterAddressByNameAsync(ServiceName);
        return ((IPEndPoint)address!).Port;
    }

    /// <summary>
    /// <c>SENTINEL FAILOVER</c>: the replica is promoted and the old primary made its replica. Returns
    /// once the sentinel names the new primary and the old one replicates from it.
    /// </summary>
    public async Task FailoverAsync()
    {
        var before = await PrimaryPortAsync();
        var after = before == _first.Port ? _second.Port : _first.Port;
        await Sentinel.SentinelFailoverAsync(ServiceName);
        await WaitUntilReplicatedAsync(after, before);
    }

    private IServer Sentinel => _sentinelAdmin.GetServer(IPAddress.Loopback, SentinelPort);

    /// <summary>Until the sentinel names <paramref name="primary"/>, which has <paramref name="replica"/> in sync and known to the sentinel.</summary>
    private async Task WaitUntilReplicatedAsync(int primary, int replica)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var named = await PrimaryPortAsync();
                var info = await _admin.GetServer(IPAddress.Loopback, replica).InfoRawAsync("replication") ?? "";
                var known = await Sentinel.SentinelReplicasAsync(ServiceName);
                var replicaKnown = known.Any(r => r.Any(p => p.Key == "port" && p.Value == replica.ToString(CultureInfo.InvariantCulture))
                    && r.Any(p => p.Key == "flags" && p.Value == "slave"));
                last = $"sentinel names {named}, replica {replica}: {(info.Contains("master_link_status:up", StringComparison.Ordinal) ? "in sync" : "not in sync")}, known to sentinel: {replicaKnown}";
                if (named == primary && replicaKnown
                    && info.Contains($"master_port:{primary}", StringComparison.Ordinal) && info.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (RedisException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The sentinel set did not settle with {primary} primary and {replica} replicating ({last}).\n{_sentinel.Describe()}");
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _sentinelAdmin.DisposeAsync();
        await _sentinel.DisposeAsync();
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
