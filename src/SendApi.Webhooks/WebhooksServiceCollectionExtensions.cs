using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Diagnostics;
using SendApi.Core.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>
    /// Registers webhook delivery: options validated at start, the guarded HTTP client, the sender
    /// and the job. Nothing here runs: <see cref="AddSendApiWebhookDispatcher"/> moves events into
    /// jobs, and a Hangfire server of its own runs them on <see cref="WebhookDeliveryJob.Queue"/>.
    /// </summary>
    public static IServiceCollection AddSendApiWebhookDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidation>();

        services.TryAddSingleton<IWebhookHostResolver, SystemHostResolver>();
        services.AddSingleton(sp => new OwnAddresses(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<WebhookOptions>>().Value.InterfaceAddressRefreshValue,
            sp.GetRequiredService<ILogger<OwnAddresses>>()));
        services.AddSingleton<GuardedConnector>();
        services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<GuardedConnector>().CreateHandler())
            // Endpoint URLs often carry a token; they stay out of the HTTP client's request logs.
            .RemoveAllLoggers();
        services.AddSingleton<WebhookSender>();

        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        services.AddSingleton(sp => new WebhookJobs(sp.GetRequiredService<IBackgroundJobClient>()));
        // Hangfire resolves jobs from the container; the factory lets the job keep an internal constructor.
        services.AddTransient(sp => new WebhookDeliveryJob(
            sp.GetRequiredService<IWebhookStore>(),
            sp.GetRequiredService<IWebhookDeliveryLog>(),
            sp.GetRequiredService<WebhookSender>(),
            sp.GetRequiredService<WebhookJobs>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<WebhookOptions>>(),
            sp.GetRequiredService<SendApiMetrics>(),
            sp.GetRequiredService<ILogger<WebhookDeliveryJob>>()));
        return services;
    }

    /// <summary>The dispatcher, a background service on every instance: it moves events from the outbox into webhook jobs.</summary>
    public static IServiceCollection AddSendApiWebhookDispatcher(this IServiceCollection services) =>
        services.AddHostedService<WebhookDispatcher>();
}
