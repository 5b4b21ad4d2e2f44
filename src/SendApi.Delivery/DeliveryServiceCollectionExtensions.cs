using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Instances;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Core.Diagnostics;
using SendApi.Delivery.Diagnostics;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Capture;
using SendApi.Delivery.ReturnPaths;
using SendApi.Delivery.Routing;
using SendApi.Delivery.Throttling;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>
    /// Registers what delivers a message: MX routing, the SMTP transport and its connection pool,
    /// the capture transport (<c>Delivery__Mode=capture</c>), throttling rules, the retry policy,
    /// return-path signing (its key is loaded when the host starts), the delivery job with its
    /// wake-ups (new mail, scheduled retries) and options validated at start. Nothing here starts a
    /// job: <see cref="AddSendApiDeliveryPump"/> does, and a Hangfire server runs them.
    /// </summary>
    public static IServiceCollection AddSendApiDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProcessInstance>();
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateOnStart();
        services.AddOptions<DnsOptions>().BindConfiguration(DnsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidation>();
        services.AddSingleton<IValidateOptions<DnsOptions>, DeliveryOptionsValidation>();

        services.AddSingleton(sp => DnsClientFactory.Create(sp.GetRequiredService<IOptions<DnsOptions>>()));
        services.AddSingleton<MxResolver>();
        services.AddSingleton<AddressResolver>();
        services.AddSingleton<MxRouter>();
        services.AddSingleton<SmtpConnectionPool>();
        services.AddSingleton<SmtpTransport>();
        services.AddSingleton<MxTransport>();
        services.AddOptions<CaptureOptions>().BindConfiguration(CaptureOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidation>();
        services.AddSingleton<CaptureTransport>();
        services.AddSingleton(sp => new BackoffRules(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.BackoffRules));
        services.AddSingleton<RetryPolicy>();
        services.TryAddSingleton<IMessageSigner, NoMessageSigning>();
        services.AddSingleton<ReturnPathSigning>();
        services.AddHostedService(sp => sp.GetRequiredService<ReturnPathSigning>());
        services.AddSingleton<MessageBodies>();
        services.AddSingleton<DomainTurns>();
        services.AddSingleton<TransactionSender>();
        services.AddSingleton<DomainBackoff>();
        services.AddSingleton<MessageDelivery>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        services.AddSingleton<DomainLabels>();
        services.AddSingleton<AttemptWatch>();
        services.AddSingleton<DueMailSignal>();
        services.AddSingleton<IDeliverySignal>(sp => sp.GetRequiredService<DueMailSignal>());
        services.AddSingleton<RetryWakeUps>();
        // Hangfire resolves jobs from the container; the factory lets the job keep an internal constructor.
        services.AddTransient(sp => new DeliveryJob(
            sp.GetRequiredService<IDeliveryQueue>(),
            sp.GetRequiredService<MessageDelivery>(),
            sp.GetRequiredService<DueMailSignal>(),
            sp.GetRequiredService<RetryWakeUps>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<DeliveryOptions>>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ProcessInstance>(),
            sp.GetRequiredService<IStorageAvailability>(),
            sp.GetRequiredService<ILogger<DeliveryJob>>()));
        return services;
    }

    /// <summary>
    /// The pump, a background service on every instance: it keeps a delivery job enqueued in
    /// Hangfire whenever mail is due and none is waiting. It claims nothing itself: the jobs do.
    /// </summary>
    public static IServiceCollection AddSendApiDeliveryPump(this IServiceCollection services) =>
        services.AddHostedService<DeliveryPump>();

    /// <summary>
    /// This instance's heartbeat in the store, and the take-over of instances whose heartbeat lapsed
    /// (their claimed mail and domain connection slots), on every instance.
    /// </summary>
    public static IServiceCollection AddSendApiInstanceHeartbeat(this IServiceCollection services) =>
        services.AddHostedService<InstanceHeartbeat>();
}
