using Hangfire;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SendApi.Core.Abuse;
using SendApi.Core.Accounts;
using SendApi.Core.Capture;
using SendApi.Core.Diagnostics;
using SendApi.Core.Domains;
using SendApi.Core.Inbound;
using SendApi.Core.Instances;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Core.Tracking;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Suppressions;
using SendApi.Core.Templates;
using SendApi.Core.Throttling;
using SendApi.Core.Webhooks;
using SendApi.Storage.Embedded;
using SendApi.Storage.Queue;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.Storage;

public static class StorageServiceCollectionExtensions
{
    private const string KeyPrefix = "sendapi:";

    private static readonly TimeSpan HangfireFetchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Registers the stores and Hangfire's <see cref="JobStorage"/>: Redis when
    /// <c>ConnectionStrings:Redis</c> is set, otherwise the embedded in-process stores. The choice
    /// is read from configuration when the container is built, not when this is called, so that
    /// configuration added late (tests, hosting overrides) counts.
    /// </summary>
    public static IServiceCollection AddSendApiStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .Configure<IConfiguration>((o, config) => o.RedisConnectionString = config.GetConnectionString("Redis"))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidation>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value is { UseRedis: true } o
            ? new StorageMode(IsRedis: true, $"Redis at {string.Join(",", o.ToRedisConfiguration().EndPoints)}")
            : new StorageMode(IsRedis: false, "embedded (in-memory)"));

        // This process among those sharing the store (its id prefixes what it holds there).
        services.TryAddSingleton<ProcessInstance>();

        // Embedded.
        services.AddSingleton<InMemoryInstanceRegistry>();
        services.AddSingleton<InMemoryAuthFailures>();
        services.AddSingleton<InMemoryMessageStore>();
        services.AddSingleton<InMemoryIdempotencyKeys>();
        services.AddSingleton<InMemoryApiKeyStore>();
        services.AddSingleton<InMemoryRateWindowCounter>();
        services.AddSingleton<InMemoryWebhookStore>();
        services.AddSingleton<InMemoryWebhookOutbox>();
        services.AddSingleton<InMemoryDomainStore>();
        services.AddSingleton<InMemoryDomainThrottle>();
        services.AddSingleton<InMemorySuppressionStore>();
        services.AddSingleton<InMemoryTemplateStore>();
        services.AddSingleton<InMemoryInboundStore>();
        services.AddSingleton<InMemoryCaptureStore>();
        services.AddSingleton<InMemoryReturnPathKeyStore>();
        services.AddSingleton<InMemoryTrackingKeyStore>();

        // Redis.
        services.AddSingleton<RedisAvailability>();
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var connection = ConnectionMultiplexer.Connect(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ToRedisConfiguration());
            sp.GetRequiredService<RedisAvailability>().Attach(connection);
            return connection;
        });
        services.AddSingleton(new RedisKeys(KeyPrefix));
        services.AddSingleton<RedisMessageStore>();
        services.AddSingleton<RedisIdempotencyKeys>();
        services.AddSingleton<RedisMessageSearch>();
        services.AddSingleton<RedisMessageStatsReader>();
        services.AddSingleton<RedisApiKeyStore>();
        services.AddSingleton<RedisRateWindowCounter>();
        services.AddSingleton<RedisWebhookStore>();
        services.AddSingleton<RedisWebhookOutbox>();
        services.AddSingleton<RedisDomainStore>();
        services.AddSingleton<RedisDomainThrottle>();
        services.AddSingleton<RedisSuppressionStore>();
        services.AddSingleton<RedisTemplateStore>();
        services.AddSingleton<RedisInboundStore>();
        services.AddSingleton<RedisCaptureStore>();
        services.AddSingleton<RedisReturnPathKeyStore>();
        services.AddSingleton<RedisTrackingKeyStore>();
        services.AddSingleton<RedisInstanceRegistry>();
        services.AddSingleton<RedisAuthFailures>();
        services.AddSingleton<RedisConnectionCounts>();
        services.AddSingleton<InMemoryConnectionCounts>();
        services.AddSingleton<RedisQueueGauge>();
        services.AddSingleton<RedisDurabilityCheck>();
        services.AddSingleton<RedisDurability>();

        services.AddSingleton<EmbeddedAvailability>();
        services.AddSingleton<EmbeddedDurability>();
        services.AddSingleton<IWriteDurability>(sp => Pick<IWriteDurability, RedisDurability, EmbeddedDurability>(sp));
        services.AddSingleton<IStorageAvailability>(sp => Pick<IStorageAvailability, RedisAvailability, EmbeddedAvailability>(sp));
        // Embedded, the SMTP server counts AUTH failures in its process.
        services.AddSingleton<ISharedAuthFailures>(sp => Pick<ISharedAuthFailures, RedisAuthFailures, InMemoryAuthFailures>(sp));
        services.AddSingleton<ISharedConnectionCounts>(sp => Pick<ISharedConnectionCounts, RedisConnectionCounts, InMemoryConnectionCounts>(sp));
        services.AddSingleton<IInstanceRegistry>(sp => Pick<IInstanceRegistry, RedisInstanceRegistry, InMemoryInstanceRegistry>(sp));
        services.AddSingleton<IMessageStore>(sp => Pick<IMessageStore, RedisMessageStore, InMemoryMessageStore>(sp));
        services.AddSingleton<IIdempotencyKeys>(sp => Pick<IIdempotencyKeys, RedisIdempotencyKeys, InMemoryIdempotencyKeys>(sp));
        services.AddSingleton<IDeliveryQueue>(sp => Pick<IDeliveryQueue, RedisMessageStore, InMemoryMessageStore>(sp));
        services.AddSingleton<IQueueGauge>(sp => Pick<IQueueGauge, RedisQueueGauge, InMemoryMessageStore>(sp));
        services.AddSingleton<IMessageSearch>(sp => Pick<IMessageSearch, RedisMessageSearch, InMemoryMessageStore>(sp));
        services.AddSingleton<IMessageStats>(sp => Pick<IMessageStats, RedisMessageStatsReader, InMemoryMessageStore>(sp));
        services.AddSingleton<IApiKeyStore>(sp => Pick<IApiKeyStore, RedisApiKeyStore, InMemoryApiKeyStore>(sp));
        services.AddSingleton<IRateWindowCounter>(sp => Pick<IRateWindowCounter, RedisRateWindowCounter, InMemoryRateWindowCounter>(sp));
        services.AddSingleton<IWebhookStore>(sp => Pick<IWebhookStore, RedisWebhookStore, InMemoryWebhookStore>(sp));
        services.AddSingleton<IWebhookDeliveryLog>(sp => Pick<IWebhookDeliveryLog, RedisWebhookStore, InMemoryWebhookStore>(sp));
        services.AddSingleton<IWebhookOutbox>(sp => Pick<IWebhookOutbox, RedisWebhookOutbox, InMemoryWebhookOutbox>(sp));
        services.AddSingleton<IDomainStore>(sp => Pick<IDomainStore, RedisDomainStore, InMemoryDomainStore>(sp));
        services.AddSingleton<IDomainThrottle>(sp => Pick<IDomainThrottle, RedisDomainThrottle, InMemoryDomainThrottle>(sp));
        services.AddSingleton<ISuppressionStore>(sp => Pick<ISuppressionStore, RedisSuppressionStore, InMemorySuppressionStore>(sp));
        services.AddSingleton<ITemplateStore>(sp => Pick<ITemplateStore, RedisTemplateStore, InMemoryTemplateStore>(sp));
        services.AddSingleton<IInboundStore>(sp => Pick<IInboundStore, RedisInboundStore, InMemoryInboundStore>(sp));
        services.AddSingleton<ICaptureStore>(sp => Pick<ICaptureStore, RedisCaptureStore, InMemoryCaptureStore>(sp));
        services.AddSingleton<IReturnPathKeyStore>(sp => Pick<IReturnPathKeyStore, RedisReturnPathKeyStore, InMemoryReturnPathKeyStore>(sp));
        services.AddSingleton<ITrackingKeyStore>(sp => Pick<ITrackingKeyStore, RedisTrackingKeyStore, InMemoryTrackingKeyStore>(sp));
        services.AddSingleton<JobStorage>(sp => sp.GetRequiredService<StorageMode>().IsRedis
            ? new RedisStorage(sp.GetRequiredService<IConnectionMultiplexer>(), new RedisStorageOptions
            {
                Prefix = KeyPrefix + "hangfire:",
                // An idle worker learns of a new job by pub/sub and looks anyway after this long. A
                // notification published in a failover (the subscription still on the old primary,
                // moving) is lost; the library's default of 3 minutes would then hold delivery that long.
                FetchTimeout = HangfireFetchTimeout,
            })
            : new InMemoryStorage());

        // One application name, so that every instance reads the same key ring (in Redis when on Redis).
        services.AddDataProtection().SetApplicationName("SendApi");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>, RedisDataProtectionKeyRing>();

        // The operator's queue pages read and act through this view; it wraps the two stores above.
        services.AddSendApiQueueView();

        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// Why this Redis cannot give <c>Storage__Durability=fsync</c>, in one line naming the setting,
    /// or null (another level, embedded, or no primary connected yet: then every acknowledgement is
    /// answered "try again" until a connected primary passes the same check).
    /// </summary>
    public static async Task<string?> StorageDurabilityProblemAsync(this IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        if (!options.UseRedis || options.DurabilityLevel != DurabilityLevel.Fsync)
        {
            return null;
        }

        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        if (!redis.GetServers().Any(s => s.IsConnected && !s.IsReplica))
        {
            return null;
        }

        return (await services.GetRequiredService<RedisDurabilityCheck>().CheckPrimaryAsync()).Problem;
    }

    private static TService Pick<TService, TRedis, TEmbedded>(IServiceProvider sp)
        where TService : class
        where TRedis : class, TService
        where TEmbedded : class, TService =>
        sp.GetRequiredService<StorageMode>().IsRedis ? sp.GetRequiredService<TRedis>() : sp.GetRequiredService<TEmbedded>();
}
