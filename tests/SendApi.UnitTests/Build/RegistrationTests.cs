using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SendApi.Api;
using SendApi.Api.Auth;
using SendApi.Api.Auth.RateLimits;
using SendApi.Api.Features.ApiKeys;
using SendApi.Api.Features.Captured;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Submission;
using SendApi.Api.Features.Suppressions;
using SendApi.Api.Features.Webhooks;
using SendApi.Delivery;
using SendApi.Delivery.Dkim;
using SendApi.Webhooks;

namespace SendApi.UnitTests.Build;

/// <summary>
/// Program.cs shows everything that runs: a registration starts only what its name says, so a
/// feature can't bring a server or a background loop along unseen (AddSendApiHttp once started a
/// webhook Hangfire server).
/// </summary>
public sealed class RegistrationTests
{
    public static TheoryData<string, string[]> Registrations => new()
    {
        { nameof(ApiServiceCollectionExtensions.AddSendApiHttp), [] },
        { nameof(AuthServiceCollectionExtensions.AddSendApiAuthentication), ["AdminKeyBootstrap"] },
        { nameof(AuthServiceCollectionExtensions.AddSendApiKeyUsageRecorder), ["ApiKeyUsage"] },
        { nameof(RateLimitServiceCollectionExtensions.AddSendApiRateLimits), [] },
        { nameof(MessagesServiceCollectionExtensions.AddSendApiMessages), [] },
        { nameof(ApiKeysApi.AddSendApiApiKeys), [] },
        { nameof(DomainsApi.AddSendApiDomains), [] },
        { nameof(SuppressionsApi.AddSendApiSuppressions), [] },
        { nameof(WebhooksApi.AddSendApiWebhooks), [] },
        { nameof(CapturedApi.AddSendApiCaptured), [] },
        { nameof(SubmissionServiceCollectionExtensions.AddSendApiSmtpHandler), [] },
        { nameof(SubmissionServiceCollectionExtensions.AddSendApiSubmission), [] },
        { nameof(InboundServiceCollectionExtensions.AddSendApiInbound), [] },
        // A start hook, not a loop: the return-path key is read at start.
        { nameof(DeliveryServiceCollectionExtensions.AddSendApiDelivery), ["ReturnPathSigning"] },
        { nameof(DkimServiceCollectionExtensions.AddSendApiDkimSigning), [] },
        { nameof(DeliveryServiceCollectionExtensions.AddSendApiDeliveryPump), ["DeliveryPump"] },
        { nameof(DeliveryServiceCollectionExtensions.AddSendApiInstanceHeartbeat), ["InstanceHeartbeat"] },
        { nameof(WebhooksServiceCollectionExtensions.AddSendApiWebhookDelivery), [] },
        { nameof(WebhooksServiceCollectionExtensions.AddSendApiWebhookDispatcher), ["WebhookDispatcher"] },
    };

    [Theory]
    [MemberData(nameof(Registrations))]
    public void A_registration_starts_only_what_its_name_says(string registration, string[] hostedServices)
    {
        var services = new ServiceCollection();
        Register(services, registration);

        // The framework's own (data protection behind authentication) are not ours to show.
        var started = services.Where(d => d.ServiceType == typeof(IHostedService))
            .Select(Implementation)
            .Where(type => type?.Namespace?.StartsWith("Microsoft.", StringComparison.Ordinal) != true)
            .Select(type => type?.Name ?? "?");

        Assert.Equal(hostedServices, started);
    }

    private static void Register(IServiceCollection services, string registration)
    {
        _ = registration switch
        {
            nameof(ApiServiceCollectionExtensions.AddSendApiHttp) => services.AddSendApiHttp(),
            nameof(AuthServiceCollectionExtensions.AddSendApiAuthentication) => services.AddSendApiAuthentication(),
            nameof(AuthServiceCollectionExtensions.AddSendApiKeyUsageRecorder) => services.AddSendApiKeyUsageRecorder(),
            nameof(RateLimitServiceCollectionExtensions.AddSendApiRateLimits) => services.AddSendApiRateLimits(),
            nameof(MessagesServiceCollectionExtensions.AddSendApiMessages) => services.AddSendApiMessages(),
            nameof(ApiKeysApi.AddSendApiApiKeys) => services.AddSendApiApiKeys(),
            nameof(DomainsApi.AddSendApiDomains) => services.AddSendApiDomains(),
            nameof(SuppressionsApi.AddSendApiSuppressions) => services.AddSendApiSuppressions(),
            nameof(WebhooksApi.AddSendApiWebhooks) => services.AddSendApiWebhooks(),
            nameof(CapturedApi.AddSendApiCaptured) => services.AddSendApiCaptured(),
            nameof(SubmissionServiceCollectionExtensions.AddSendApiSmtpHandler) => services.AddSendApiSmtpHandler(),
            nameof(SubmissionServiceCollectionExtensions.AddSendApiSubmission) => services.AddSendApiSubmission(),
            nameof(InboundServiceCollectionExtensions.AddSendApiInbound) => services.AddSendApiInbound(),
            nameof(DeliveryServiceCollectionExtensions.AddSendApiDelivery) => services.AddSendApiDelivery(),
            nameof(DkimServiceCollectionExtensions.AddSendApiDkimSigning) => services.AddSendApiDkimSigning(),
            nameof(DeliveryServiceCollectionExtensions.AddSendApiDeliveryPump) => services.AddSendApiDeliveryPump(),
            nameof(DeliveryServiceCollectionExtensions.AddSendApiInstanceHeartbeat) => services.AddSendApiInstanceHeartbeat(),
            nameof(WebhooksServiceCollectionExtensions.AddSendApiWebhookDelivery) => services.AddSendApiWebhookDelivery(),
            nameof(WebhooksServiceCollectionExtensions.AddSendApiWebhookDispatcher) => services.AddSendApiWebhookDispatcher(),
            _ => throw new ArgumentOutOfRangeException(nameof(registration), registration, "not a registration this test knows"),
        };
    }

    /// <summary>The hosted service's class, also when it is registered through a factory (<c>sp => sp.GetRequiredService&lt;T&gt;()</c>).</summary>
    private static Type? Implementation(ServiceDescriptor descriptor) =>
        descriptor.ImplementationType
            ?? descriptor.ImplementationInstance?.GetType()
            ?? descriptor.ImplementationFactory?.GetType().GenericTypeArguments[^1];
}
