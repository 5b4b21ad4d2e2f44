using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Features.Inbound;

public static class InboundServiceCollectionExtensions
{
    /// <summary>Inbound mail on port 25: the SMTP handler behind the inbound listener and what records bounces and complaints.</summary>
    public static IServiceCollection AddSendApiInbound(this IServiceCollection services)
    {
        services.AddSingleton<InboundRecorder>();
        services.AddSingleton<InboundSmtpHandler>();
        return services;
    }
}
