using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SendApi.Storage;

/// <summary>The storage setting: <c>ConnectionStrings:Redis</c> (env <c>ConnectionStrings__Redis</c>); empty = embedded.</summary>
public sealed class StorageOptions
{
    public string? RedisConnectionString { get; set; }

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
        return options;
    }
}

internal sealed class StorageOptionsValidation : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
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
}
