using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Compat.Postmark;
using SendApi.Api.Features.Compat.Resend;
using SendApi.Api.Features.Compat.SendGrid;

namespace SendApi.Api.Features.Compat;

public static class CompatServiceCollectionExtensions
{
    /// <summary>
    /// The hosted providers' sending APIs (Resend, Postmark, SendGrid) under their prefixes
    /// (<c>Compat:*Prefix</c>, validated at start), all feeding <see cref="Messages.MessageIntake"/>
    /// through <see cref="CompatSender"/>; and the writer that words our pipeline's errors in each
    /// provider's shape on its routes. Needs <c>AddSendApiMessages</c> and <c>AddSendApiHttp</c>.
    /// </summary>
    public static IServiceCollection AddSendApiCompat(this IServiceCollection services)
    {
        services.AddOptions<CompatOptions>().BindConfiguration(CompatOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CompatOptions>, CompatOptionsValidation>();
        services.AddSingleton<CompatSender>();
        services.AddSingleton<ICompatDialect, ResendErrors>();
        services.AddSingleton<ICompatDialect, PostmarkErrors>();
        services.AddSingleton<ICompatDialect, SendGridErrors>();

        // First of the problem writers, whenever this is called: the service takes the first one
        // that says it can write, and the framework's writer and ours would take every request.
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, CompatErrorWriter>());
        return services;
    }

    /// <summary>Maps each provider's routes under its prefix. They are left out of our OpenAPI document: they are the providers' APIs, documented by them.</summary>
    public static IEndpointRouteBuilder MapCompatApis(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<CompatOptions>>().Value;
        app.MapResendApi(options.ResendPrefix);
        app.MapPostmarkApi(options.PostmarkPrefix);
        app.MapSendGridApi(options.SendGridPrefix);
        return app;
    }
}
