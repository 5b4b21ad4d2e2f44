using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Storage;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Whether Redis answers, as the callers and the connection see it. The first failure (a command
/// that could not reach Redis, or the connection dropping) starts an outage and logs one warning;
/// from then on Redis is asked PING once a second, and the first answer ends the outage with one
/// more warning. Callers never wait on this: it only decides what to log and what a 503 says.
/// </summary>
internal sealed partial class RedisAvailability(IOptions<StorageOptions> options, TimeProvider time, ILogger<RedisAvailability> logger)
    : IStorageAvailability, IDisposable
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    // Replies of a Redis that is there but cannot serve yet (loading its AOF, a replica during
    // failover, a busy script, a full disk, its maxmemory reached under noeviction, which the
    // deployment guide asks for so that it refuses mail rather than drop it): the same "try
    // again" as no Redis at all.
    private static readonly string[] UnavailableReplies = ["LOADING", "READONLY", "MASTERDOWN", "BUSY", "MISCONF", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "OOM"];

    private readonly Lock _gate = new();
    private IConnectionMultiplexer? _connection;
    private ITimer? _probe;
    private DateTimeOffset _since;

    public bool IsDown
    {
        get
        {
            lock (_gate)
            {
                return _probe is not null;
            }
        }
    }

    // Long enough for a restart or a failover to finish, short enough that a client does not idle.
    public TimeSpan RetryAfter => TimeSpan.FromSeconds(Math.Max(5, Math.Ceiling(options.Value.TimeoutValue.TotalSeconds)));

    /// <summary>Watches <paramref name="connection"/>: a dropped connection starts an outage even before a caller meets it.</summary>
    public void Attach(IConnectionMultiplexer connection)
    {
        _connection = connection;
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Note(e.Exception?.Message ?? e.FailureType.ToString());
            }
        };
    }

    public bool TryNoteOutage(Exception exception)
    {
        // Redis answered; the write was not confirmed durable in time. RedisDurability logs that
        // once; here it only gets the same "try again" answer as an outage.
        if (exception is StorageNotDurableException)
        {
            return true;
        }

        if (!IsOutage(exception))
        {
            return false;
        }

        Note(exception.Message);
        return true;
    }

    /// <summary>Failures that say "Redis is not reachable now", as opposed to a bug (a script error, a wrong type).</summary>
    internal static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RedisConnectionException or RedisTimeoutException:
                    return true;
                case RedisServerException server when UnavailableReplies.Any(reply => server.Message.StartsWith(reply, StringComparison.Ordinal)):
                    return true;
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    return IsOutage(aggregate.InnerExceptions[0]);
            }
        }

        return false;
    }

    private void Note(string reason)
    {
        lock (_gate)
        {
            if (_probe is not null)
            {
                return;
            }

            _since = time.GetUtcNow();
            _probe = time.CreateTimer(_ => _ = ProbeAsync(), null, ProbeInterval, ProbeInterval);
        }

        LogOutageStarted(logger, reason);
    }

    private async Task ProbeAsync()
    {
        try
        {
            if (_connection is null || !_connection.IsConnected)
            {
                return;
            }

            await _connection.GetDatabase().PingAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return;
        }

        TimeSpan lasted;
        lock (_gate)
        {
            if (_probe is null)
            {
                return;
            }

            _probe.Dispose();
            _probe = null;
            lasted = time.GetUtcNow() - _since;
        }

        LogOutageEnded(logger, lasted.TotalSeconds);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _probe?.Dispose();
            _probe = null;
        }
    }

    // Log event ids 6000–6009 (SendApi.Storage's range is 6000–6999, see docs/logging.md); next free: 6002.
    [LoggerMessage(EventId = 6000, Level = LogLevel.Warning, Message = "Redis does not answer ({Reason}): requests that need it are answered 503 / SMTP 451 until it is back")]
    private static partial void LogOutageStarted(ILogger logger, string reason);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Redis answers again after {Seconds:0.0} s")]
    private static partial void LogOutageEnded(ILogger logger, double seconds);
}
