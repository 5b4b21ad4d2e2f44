using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// On Redis, ASP.NET Core's Data Protection key ring (what signs the dashboard's antiforgery tokens)
/// lives in Redis beside everything else, so a page served by one instance can be posted to another
/// and a restart doesn't invalidate open pages. Embedded, the framework's default (a directory in the
/// user's profile) stays: one process, nothing to share.
/// </summary>
/// <remarks>
/// The keys are stored unencrypted, as everything in Redis is: whoever can read Redis can read the
/// queue and the API key hashes too. The framework warns once when it creates a key for that reason.
/// </remarks>
internal sealed class RedisDataProtectionKeyRing(StorageMode mode, IServiceProvider services, RedisKeys keys)
    : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options)
    {
        if (!mode.IsRedis)
        {
            return;
        }

        // Resolved when the key ring is first read, not when options are built: the connection is opened once, by its owner.
        options.XmlRepository = new RedisXmlRepository(
            () => services.GetRequiredService<IConnectionMultiplexer>().GetDatabase(),
            keys.DataProtectionKeys);
    }
}
