using Microsoft.Extensions.Options;
using SendApi.Core;
using StackExchange.Redis;

namespace SendApi.Storage;

/// <summary>
/// The storage settings: <c>ConnectionStrings:Redis</c> (env <c>ConnectionStrings__Redis</c>; empty =
/// embedded) and the section <c>Storage</c>.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// <c>Storage__Timeout</c>: how long one Redis command may take before the caller gives up
    /// (HTTP 503, SMTP 451). Also the connect timeout.
    /// </summary>
    public string Timeout { get; set; } = "2s";

    internal TimeSpan TimeoutValue => Durations.TryParse(Timeout, out var value) ? value : TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>Storage__Durability</c>: what a 202/250 stands for. <c>process</c> (default): the write is
    /// in Redis; <c>fsync</c>: on the primary's disk; <c>replica</c>: on <see cref="Replicas"/>
    /// replicas. See docs/reliability.md, "Durability levels".
    /// </summary>
    public string Durability { get; set; } = "process";

    /// <summary><c>Storage__Replicas</c>: how many replicas must have a write before it is acknowledged (<c>replica</c> level).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>
    /// <c>Storage__DurabilityTimeout</c>: how long an acknowledgement waits for the disk or the
    /// replicas before the client is told to retry. Shorter than <see cref="Timeout"/>: the wait
    /// holds the one connection to the primary, and the commands behind it must not time out.
    /// </summary>
    public string DurabilityTimeout { get; set; } = "1s";

    internal DurabilityLevel DurabilityLevel =>
        Enum.TryParse<DurabilityLevel>(Durability, ignoreCase: true, out var level) && Enum.IsDefined(level) ? level : DurabilityLevel.Process;

    internal TimeSpan DurabilityTimeoutValue => Durations.TryParse(DurabilityTimeout, out var value) ? value : TimeSpan.FromSeconds(1);

    public bool UseRedis => !string.IsNullOrWhiteSpace(RedisConnectionString);

    /// <summary>The client configuration: RESP2 (see below), and started even if Redis is briefly away.</summary>
    internal ConfigurationOptions ToRedisConfiguration()
    {
        var options = ConfigurationOptions.Parse(RedisConnectionString!);

        // Hangfire.Redis.StackExchange relies on RESP2 pub/sub for job notifications; under RESP3
        // (the 3.x default) an enqueued job waits for the fetch timeout instead of starting at once.
        options.Protocol = RedisProtocol.Resp2;
        // Start even when Redis comes up after us (e.g. in compose); readiness reports it meanwhile.
        options.AbortOnConnectFail = false;
        options.ClientName ??= "sendapi";
        // Storage__Durability=fsync on Redis before 7.2 reads the server's fsync policy (CONFIG GET),
        // which the client library only sends in admin mode. It grants nothing on the server.
        options.AllowAdmin |= DurabilityLevel == DurabilityLevel.Fsync;
        // While Redis is away, a command fails at once instead of waiting in the client's backlog
        // for the timeout: a client gets its 503 (an SMTP client its 451) without a 5 s block.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        var timeout = (int)TimeoutValue.TotalMilliseconds;
        options.AsyncTimeout = timeout;
        options.SyncTimeout = timeout;
        options.ConnectTimeout = timeout;
        // Reconnect about every second, not with backoff growing to 10 s: a restarted Redis is used at once.
        options.ReconnectRetryPolicy = new LinearRetry(1000);
        return options;
    }
}

internal sealed class StorageOptionsValidation : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (!Durations.TryParse(options.Timeout, out var timeout) || timeout < TimeSpan.FromMilliseconds(100) || timeout > TimeSpan.FromMinutes(1))
        {
            return ValidateOptionsResult.Fail($"Storage:Timeout (env Storage__Timeout) must be a duration from 100ms to 1m, e.g. '2s'; got '{options.Timeout}'.");
        }

        if (ValidateDurability(options) is { } durabilityError)
        {
            return ValidateOptionsResult.Fail(durabilityError);
        }

        if (!options.UseRedis)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            var parsed = options.ToRedisConfiguration();
            return parsed.EndPoints.Count > 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("ConnectionStrings:Redis (env ConnectionStrings__Redis) names no Redis endpoint; expected e.g. 'redis:6379'.");
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException or RedisConnectionException)
        {
            return ValidateOptionsResult.Fail($"ConnectionStrings:Redis (env ConnectionStrings__Redis) is not a valid StackExchange.Redis connection string: {ex.Message}");
        }
    }

    private static string? ValidateDurability(StorageOptions options)
    {
        if (!Enum.TryParse<DurabilityLevel>(options.Durability, ignoreCase: true, out var level) || !Enum.IsDefined(level)
            || int.TryParse(options.Durability, out _))
        {
            return $"Storage:Durability (env Storage__Durability) must be 'process', 'fsync' or 'replica'; got '{options.Durability}'.";
        }

        if (level == DurabilityLevel.Process)
        {
            return null;
        }

        if (!options.UseRedis)
        {
            return $"Storage:Durability (env Storage__Durability) '{options.Durability}' needs Redis (ConnectionStrings__Redis): the embedded store keeps everything in the process's memory.";
        }

        if (!Durations.TryParse(options.DurabilityTimeout, out var wait) || wait < TimeSpan.FromMilliseconds(10) || wait >= options.TimeoutValue)
        {
            return $"Storage:DurabilityTimeout (env Storage__DurabilityTimeout) must be a duration from 10ms to less than Storage__Timeout ({options.Timeout}), e.g. '1s'; got '{options.DurabilityTimeout}'.";
        }

        if (level == DurabilityLevel.Replica && options.Replicas is < 1 or > 16)
        {
            return $"Storage:Replicas (env Storage__Replicas) must be from 1 to 16; got {options.Replicas}.";
        }

        return null;
    }
}
