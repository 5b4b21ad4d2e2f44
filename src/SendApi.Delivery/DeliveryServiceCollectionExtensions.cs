using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Messages;
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
    /// return-path signing (its key is loaded when the host starts) and the delivery job, with
    /// options validated at start; at shutdown, batches still delivering in the background are
    /// waited for. Nothing here claims work: that is <see cref="AddSendApiDeliveryDispatcher"/>,
    /// and a Hangfire server runs the jobs.
    /// </summary>
    public static IServiceCollection AddSendApiDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
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
        services.AddSingleton<DeliveryConcurrency>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryConcurrency>());
        // Hangfire resolves jobs from the container; the factory lets the job keep an internal constructor.
        services.AddTransient(sp => new DeliveryJob(
            sp.GetRequiredService<IDeliveryQueue>(),
            sp.GetRequiredService<MessageDelivery>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<DeliveryOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(),
            sp.GetRequiredService<DeliveryConcurrency>(),
            sp.GetRequiredService<ILogger<DeliveryJob>>()));
        return services;
    }

    /// <summary>
    /// The dispatcher, a background service on every instance: it claims due messages and enqueues
    /// them as delivery jobs, and is the <see cref="IDeliverySignal"/> the intake wakes.
    /// </summary>
    public static IServiceCollection AddSendApiDeliveryDispatcher(this IServiceCollection services)
    {
        services.AddSingleton<DeliveryDispatcher>();
        services.AddSingleton<IDeliverySignal>(sp => sp.GetRequiredService<DeliveryDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
        return services;
    }
}
