using Hangfire;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SendApi.Core.Accounts;
using SendApi.Core.Messages;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.Storage;

public static class StorageServiceCollectionExtensions
{
    public const string RedisConnectionStringName = "Redis";
    private const string KeyPrefix = "sendapi:";

    /// <summary>
    /// Registers the stores and Hangfire's <see cref="JobStorage"/>: Redis when
    /// <c>ConnectionStrings:Redis</c> is set, otherwise the embedded in-process stores.
    /// </summary>
    public static StorageMode AddSendApiStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        var connectionString = configuration.GetConnectionString(RedisConnectionStringName);
        return string.IsNullOrWhiteSpace(connectionString)
            ? AddEmbedded(services)
            : AddRedis(services, connectionString);
    }

    private static StorageMode AddEmbedded(IServiceCollection services)
    {
        services.AddSingleton<InMemoryMessageStore>();
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<InMemoryMessageStore>());
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<InMemoryMessageStore>());
        services.AddSingleton<IApiKeyStore, InMemoryApiKeyStore>();
        services.AddSingleton<JobStorage>(_ => new InMemoryStorage());
        return new StorageMode(IsRedis: false, "embedded (in-memory)");
    }

    private static StorageMode AddRedis(IServiceCollection services, string connectionString)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:Redis (env ConnectionStrings__Redis) is not a valid StackExchange.Redis connection string: {ex.Message}", ex);
        }

        // Hangfire.Redis.StackExchange relies on RESP2 pub/sub for job notifications; under RESP3
        // (the 3.x default) an enqueued job waits for the fetch timeout instead of starting at once.
        options.Protocol = RedisProtocol.Resp2;
        // Start even if Redis is briefly away (e.g. started alongside us); readiness reports it.
        options.AbortOnConnectFail = false;
        options.ClientName ??= "sendapi";

        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        services.AddSingleton(new RedisKeys(KeyPrefix));
        services.AddSingleton<RedisMessageStore>();
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<RedisMessageStore>());
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<RedisMessageStore>());
        services.AddSingleton<IApiKeyStore, RedisApiKeyStore>();
        services.AddSingleton<JobStorage>(sp => new RedisStorage(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            new RedisStorageOptions { Prefix = KeyPrefix + "hangfire:" }));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", HealthStatus.Unhealthy, ["ready"]);
        return new StorageMode(IsRedis: true, $"Redis at {string.Join(",", options.EndPoints)}");
    }
}
