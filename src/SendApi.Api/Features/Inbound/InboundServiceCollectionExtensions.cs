using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendApi.Core.Diagnostics;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Features.Inbound;

public static class InboundServiceCollectionExtensions
{
    /// <summary>
    /// Inbound mail on port 25: the SMTP handler behind the inbound listener, what records bounces,
    /// complaints and replies, and the inbound domains' settings. The <c>/inbound</c> endpoints
    /// read the store and need nothing of this.
    /// </summary>
    public static IServiceCollection AddSendApiInbound(this IServiceCollection services)
    {
        services.AddOptions<InboundOptions>()
            .BindConfiguration(InboundOptions.Section)
            .PostConfigure(o => o.Resolve())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InboundOptions>, InboundOptionsValidation>();
        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        services.AddSingleton<InboundRecorder>();
        services.AddSingleton<InboundAddresses>();
        services.AddSingleton<InboundSmtpHandler>();
        return services;
    }
}
