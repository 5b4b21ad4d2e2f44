using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

public static class SubmissionServiceCollectionExtensions
{
    /// <summary>
    /// The SMTP listeners' settings (<c>Smtp__*</c>, validated at start) and the one handler the
    /// SMTP engine calls, <see cref="SmtpListenerRouter"/>, which gives each listener's sessions to
    /// its feature: submission (<see cref="AddSendApiSubmission"/>) or inbound
    /// (<c>AddSendApiInbound</c>). Both must be registered.
    /// </summary>
    public static IServiceCollection AddSendApiSmtpHandler(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpOptions>, SmtpOptionsValidation>();
        services.AddSingleton<ISmtpMessageHandler, SmtpListenerRouter>();
        return services;
    }

    /// <summary>
    /// SMTP submission on 587 and 465: API keys as AUTH passwords (or a trusted network's key),
    /// and each submitted message handed to the message intake.
    /// </summary>
    public static IServiceCollection AddSendApiSubmission(this IServiceCollection services) =>
        services.AddSingleton<SmtpSubmissionHandler>();
}
