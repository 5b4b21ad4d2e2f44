using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Inbound;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

public static class SubmissionServiceCollectionExtensions
{
    /// <summary>
    /// The SMTP features: their settings (validated at start) and the handler behind the SMTP
    /// engine, which routes each listener to submission or inbound.
    /// </summary>
    public static IServiceCollection AddSendApiSubmission(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpOptions>, SmtpOptionsValidation>();
        services.AddSingleton<SmtpSubmissionHandler>();
        services.AddSendApiInbound();
        services.AddSingleton<ISmtpMessageHandler, SmtpListenerRouter>();
        return services;
    }
}
