using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.Storage;

/// <summary>Ready when the store answers: Redis must reply to PING; the embedded store always does.</summary>
internal sealed class StorageHealthCheck(StorageMode mode, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!mode.IsRedis)
        {
            return HealthCheckResult.Healthy(mode.Description);
        }

        try
        {
            var latency = await services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"{mode.Description} answered in {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Without the exception: the outage is logged once by RedisAvailability, not with a stack trace per probe.
            services.GetRequiredService<RedisAvailability>().TryNoteOutage(ex);
            return HealthCheckResult.Unhealthy($"{mode.Description} does not answer: {ex.Message}");
        }
    }
}
