using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Storage;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// <c>Storage__Durability</c> on Redis. <c>replica</c> sends <c>WAIT numreplicas timeout</c>, and
/// <c>fsync</c> on Redis 7.2+ <c>WAITAOF 1 0 timeout</c>, after the acknowledged write; <c>fsync</c>
/// on older servers relies on the server fsyncing every write before it replies
/// (<see cref="RedisDurabilityCheck"/>).
/// <para>
/// Why WAIT covers the write: WAIT (and WAITAOF) wait for the replication offset of the last write
/// made <em>on the same connection</em>. StackExchange.Redis's multiplexer sends every command for
/// the primary, from every caller, over one interactive connection, in the order they are issued.
/// A caller joins a round only after its write's reply arrived, and a round's WAIT is sent after
/// the round was closed, so the WAIT follows every joined write on that connection and covers it.
/// </para>
/// <para>
/// Group commit: a WAIT blocks that one connection until the replicas answer (every other command
/// to the primary queues behind it), so at most one is in flight. Callers whose writes finish
/// meanwhile share the next one: one WAIT per replica round trip, whatever the concurrency.
/// </para>
/// <para>
/// A WAIT over another connection would prove nothing about the write (a new connection has no
/// writes to wait for, so WAIT answers at once): every connection event (failed, restored,
/// reconfigured, as after a Sentinel failover) starts a new <see cref="DurabilityMark"/>, and a
/// round counts only for writes marked on the connection it ran on from start to end. The client
/// library raises those events just after the fact, so a switch in the last instant before a WAIT
/// is caught only if its event is raised before the WAIT's reply arrives; see docs/reliability.md.
/// </para>
/// </summary>
internal sealed partial class RedisDurability : IWriteDurability
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisDurabilityCheck _check;
    private readonly ILogger<RedisDurability> _logger;
    private readonly DurabilityLevel _level;
    private readonly int _replicas;
    private readonly long _timeoutMs;

    private readonly Lock _gate = new();
    private TaskCompletionSource<Round>? _waiting;
    private bool _running;
    private long _connection;
    private int _short;

    public RedisDurability(IConnectionMultiplexer redis, RedisDurabilityCheck check, IOptions<StorageOptions> options, ILogger<RedisDurability> logger)
    {
        _redis = redis;
        _check = check;
        _logger = logger;
        _level = options.Value.DurabilityLevel;
        _replicas = options.Value.Replicas;
        _timeoutMs = Math.Max(1, (long)options.Value.DurabilityTimeoutValue.TotalMilliseconds);
        if (_level == DurabilityLevel.Process)
        {
            return;
        }

        redis.ConnectionFailed += (_, e) => NewConnection(e.ConnectionType);
        redis.ConnectionRestored += (_, e) => NewConnection(e.ConnectionType);
        redis.ConfigurationChanged += (_, _) => NewConnection(ConnectionType.Interactive);
        redis.ConfigurationChangedBroadcast += (_, _) => NewConnection(ConnectionType.Interactive);
    }

    public DurabilityMark Mark() => new(Volatile.Read(ref _connection));

    public async Task EnsureAsync(DurabilityMark mark, CancellationToken cancellationToken)
    {
        switch (_level)
        {
            case DurabilityLevel.Process:
                return;
            case DurabilityLevel.Fsync when await _check.ServerAsync(mark.Connection) is { HasWaitAof: false } server:
                // Redis before 7.2: a server that fsyncs each write before it replies (checked on
                // this connection) made the reply itself the proof.
                Require(server.Problem is null, server.Problem!);
                Require(mark.Connection == Volatile.Read(ref _connection), "the connection to Redis changed after the write");
                break;
            default:
                var round = await JoinAsync().WaitAsync(cancellationToken);
                Require(round.Error is null, $"{Command} failed: {round.Error}");
                Require(round.Connection == mark.Connection && round.ConnectionAfter == mark.Connection, "the connection to Redis changed after the write");
                Require(round.Acknowledged >= Needed, _level == DurabilityLevel.Replica
                    ? $"{round.Acknowledged} of {_replicas} replica(s) acknowledged the write within {_timeoutMs} ms"
                    : $"the primary did not fsync the write within {_timeoutMs} ms");
                break;
        }

        if (Interlocked.Exchange(ref _short, 0) == 1)
        {
            LogDurableAgain(_logger, _level.ToString().ToLowerInvariant());
        }
    }

    private string Command => _level == DurabilityLevel.Replica ? "WAIT" : "WAITAOF";

    private long Needed => _level == DurabilityLevel.Replica ? _replicas : 1;

    private void Require(bool condition, string reason)
    {
        if (condition)
        {
            return;
        }

        if (Interlocked.Exchange(ref _short, 1) == 0)
        {
            LogNotDurable(_logger, _level.ToString().ToLowerInvariant(), reason);
        }

        throw new StorageNotDurableException($"Not acknowledged as durable (Storage__Durability={_level.ToString().ToLowerInvariant()}): {reason}.");
    }

    private void NewConnection(ConnectionType type)
    {
        if (type != ConnectionType.Subscription)
        {
            Interlocked.Increment(ref _connection);
        }
    }

    private Task<Round> JoinAsync()
    {
        lock (_gate)
        {
            _waiting ??= new TaskCompletionSource<Round>(TaskCreationOptions.RunContinuationsAsynchronously);
            var joined = _waiting.Task;
            if (!_running)
            {
                _running = true;
                _ = Task.Run(RunRoundsAsync);
            }

            return joined;
        }
    }

    /// <summary>One WAIT at a time, each for everyone who joined before it was sent.</summary>
    private async Task RunRoundsAsync()
    {
        while (true)
        {
            TaskCompletionSource<Round> round;
            lock (_gate)
            {
                if (_waiting is null)
                {
                    _running = false;
                    return;
                }

                round = _waiting;
                _waiting = null;
            }

            round.SetResult(await WaitOnceAsync());
        }
    }

    private async Task<Round> WaitOnceAsync()
    {
        var connection = Volatile.Read(ref _connection);
        try
        {
            var db = _redis.GetDatabase();
            long acknowledged;
            if (_level == DurabilityLevel.Replica)
            {
                acknowledged = (long)await db.ExecuteAsync("WAIT", _replicas, _timeoutMs);
            }
            else
            {
                // WAITAOF numlocal numreplicas timeout: [local fsynced (0/1), replicas fsynced].
                var reply = (RedisResult[])(await db.ExecuteAsync("WAITAOF", 1, 0, _timeoutMs))!;
                acknowledged = (long)reply[0];
            }

            return new Round(connection, Volatile.Read(ref _connection), acknowledged, null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
        {
            return new Round(connection, Volatile.Read(ref _connection), 0, ex.Message);
        }
    }

    private sealed record Round(long Connection, long ConnectionAfter, long Acknowledged, string? Error);

    // Log event ids 6010–6019 (SendApi.Storage's range is 6000–6999, see docs/logging.md); next free: 6012.
    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Writes are not acknowledged as durable (Storage__Durability={Level}): {Reason}; clients are answered 503 / SMTP 451 until they are")]
    private static partial void LogNotDurable(ILogger logger, string level, string reason);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Writes are acknowledged as durable again (Storage__Durability={Level})")]
    private static partial void LogDurableAgain(ILogger logger, string level);
}
