using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendApi.Core.Diagnostics;

namespace SendApi.Api.Features.Messages;

public static class MessagesServiceCollectionExtensions
{
    /// <summary>
    /// Messages: the limits every channel enforces (validated at start), the
    /// <see cref="MessageIntake"/> every channel feeds, and what <c>POST /messages</c> needs to
    /// feed it (the request's validator and the MIME composer). The intake wakes delivery
    /// (<see cref="SendApi.Core.Messages.IDeliverySignal"/>), so the host registers delivery too.
    /// </summary>
    public static IServiceCollection AddSendApiMessages(this IServiceCollection services)
    {
        services.AddOptions<MessagesOptions>()
            .BindConfiguration(MessagesOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.MessageIdDomain ??= config["Delivery:HeloName"] ?? System.Net.Dns.GetHostName())
            .Validate(o => o.MaxSizeBytes is >= 1024 and <= 1024L * 1024 * 1024, "Messages:MaxSizeBytes (env Messages__MaxSizeBytes) must be between 1 KB and 1 GB.")
            .Validate(o => o.MaxRecipients is >= 1 and <= 1000, "Messages:MaxRecipients (env Messages__MaxRecipients) must be between 1 and 1000.")
            .Validate(o => Core.Durations.TryParse(o.MaxScheduleAhead, out var ahead) && ahead >= TimeSpan.FromMinutes(1) && ahead <= TimeSpan.FromDays(30), "Messages:MaxScheduleAhead (env Messages__MaxScheduleAhead) must be a duration between 1m and 30d (e.g. 72h).")
            .Validate(o => o.MaxBatchSize is >= 1 and <= 1000, "Messages:MaxBatchSize (env Messages__MaxBatchSize) must be between 1 and 1000.")
            .Validate(o => Uri.CheckHostName(o.MessageIdDomain) == UriHostNameType.Dns, "Messages:MessageIdDomain (env Messages__MessageIdDomain, default Delivery__HeloName) must be a domain name.")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        services.AddSingleton<MessageIntake>();
        // One for the process: a FluentValidation validator builds its rules in its constructor, which
        // per request cost more CPU than the rest of the validation (it holds no request state).
        services.AddSingleton<IValidator<SendMessageRequest>, SendMessageValidator>();
        services.AddSingleton<MessageComposer>();
        services.AddSingleton<MessageCancellation>();
        return services;
    }
}
