using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

public static class SubmissionServiceCollectionExtensions
{
    /// <summary>The SMTP submission feature: its settings (validated at start) and the handler behind the SMTP engine.</summary>
    public static IServiceCollection AddSendApiSubmission(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpOptions>, SmtpOptionsValidation>();
        services.AddSingleton<ISmtpMessageHandler, SmtpSubmissionHandler>();
        return services;
    }
}
