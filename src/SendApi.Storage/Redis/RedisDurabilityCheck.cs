using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Whether the primary can give <c>Storage__Durability=fsync</c>. Redis 7.2 and later can be asked
/// to wait for the fsync (<c>WAITAOF</c>). Older servers (Debian 12 ships 7.0) cannot: there the
/// acknowledgement is durable only if the server fsyncs every write before it replies, which is
/// <c>appendonly yes</c> with <c>appendfsync always</c>, read with <c>CONFIG GET</c>. Checked at start
/// (a mismatch stops the start with one line) and again on each new connection, since after a
/// failover the primary is another server with a configuration of its own.
/// </summary>
internal sealed class RedisDurabilityCheck(IConnectionMultiplexer redis, IOptions<StorageOptions> options)
{
    private static readonly Version WaitAofSince = new(7, 2);

    private readonly SemaphoreSlim _one = new(1, 1);
    private ServerDurability? _last;

    /// <summary>What the primary offers, checked once per <paramref name="connection"/> (a <see cref="Core.Storage.DurabilityMark"/>).</summary>
    public async Task<ServerDurability> ServerAsync(long connection)
    {
        if (_last is { } known && known.Connection == connection)
        {
            return known;
        }

        await _one.WaitAsync();
        try
        {
            if (_last is { } again && again.Connection == connection)
            {
                return again;
            }

            var (hasWaitAof, problem) = await CheckPrimaryAsync();
            var checkedNow = new ServerDurability(connection, hasWaitAof, problem);
            // A server that could not be asked is asked again by the next caller.
            _last = problem is null || redis.IsConnected ? checkedNow : null;
            return checkedNow;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Null when the primary fsyncs (or can be asked to); otherwise the reason, in one line.</summary>
    internal async Task<(bool HasWaitAof, string? Problem)> CheckPrimaryAsync()
    {
        if (options.Value.DurabilityLevel != DurabilityLevel.Fsync)
        {
            return (false, null);
        }

        var primary = redis.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica);
        if (primary is null)
        {
            return (false, "no Redis primary is connected to check for appendfsync always");
        }

        if (primary.Version >= WaitAofSince)
        {
            return (true, null);
        }

        KeyValuePair<string, string>[] config;
        try
        {
            config = await primary.ConfigGetAsync("append*");
        }
        catch (RedisException ex) when (ex is not RedisConnectionException)
        {
            return (false,
                $"Storage__Durability=fsync: CONFIG GET is not allowed on the Redis server at {primary.EndPoint} ({ex.Message}), so SendApi cannot see whether it fsyncs every write; " +
                $"Redis {primary.Version} has no WAITAOF (7.2+). Allow CONFIG GET for SendApi's user, or choose another Storage__Durability.");
        }

        var appendOnly = Value(config, "appendonly");
        var appendFsync = Value(config, "appendfsync");
        return appendOnly == "yes" && appendFsync == "always"
            ? (false, null)
            : (false,
                $"Storage__Durability=fsync needs the Redis server at {primary.EndPoint} to have 'appendonly yes' and 'appendfsync always' (it has appendonly {appendOnly}, appendfsync {appendFsync}): " +
                $"Redis {primary.Version} has no WAITAOF (7.2+), so only a server that fsyncs every write before replying makes the reply durable.");
    }

    private static string Value(KeyValuePair<string, string>[] config, string name) =>
        config.FirstOrDefault(pair => string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? "(not set)";

    internal sealed record ServerDurability(long Connection, bool HasWaitAof, string? Problem);
}
