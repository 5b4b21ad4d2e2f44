using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Features.Inbound;

public static class InboundServiceCollectionExtensions
{
    /// <summary>
    /// Inbound mail on port 25: the SMTP handler behind the inbound listener, what records bounces
    /// and complaints, and the inbound domains' settings.
    /// </summary>
    public static IServiceCollection AddSendApiInbound(this IServiceCollection services)
    {
        services.AddOptions<InboundOptions>()
            .BindConfiguration(InboundOptions.Section)
            .PostConfigure(o => o.Resolve())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InboundOptions>, InboundOptionsValidation>();
        services.AddSingleton<InboundRecorder>();
        services.AddSingleton<InboundAddresses>();
        services.AddSingleton<InboundSmtpHandler>();
        return services;
    }
}
