using Microsoft.Extensions.Options;
using SendApi.Core;

namespace SendApi.Webhooks;

/// <summary>Checks the Webhooks settings at start, naming the setting (and its env var) that is wrong.</summary>
internal sealed class WebhookOptionsValidation : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var errors = new List<string>();
        Duration(errors, "Timeout", options.Timeout, TimeSpan.FromMilliseconds(100));
        Duration(errors, "MaxRetryAfter", options.MaxRetryAfter, TimeSpan.FromSeconds(1));
        Duration(errors, "RotationGracePeriod", options.RotationGracePeriod, TimeSpan.Zero);
        Duration(errors, "PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(10));
        Duration(errors, "SchedulePollingInterval", options.SchedulePollingInterval, TimeSpan.FromMilliseconds(100));
        Duration(errors, "ClaimTimeout", options.ClaimTimeout, TimeSpan.FromSeconds(1));
        Duration(errors, "InterfaceAddressRefresh", options.InterfaceAddressRefresh, TimeSpan.FromSeconds(1));
        if (!Durations.TryParseList(options.RetrySchedule, out var schedule) || schedule.Any(d => d < TimeSpan.FromSeconds(1)))
        {
            errors.Add($"Webhooks:RetrySchedule (env Webhooks__RetrySchedule) must be a comma-separated list of durations of at least 1s, such as '5s,5m,30m,2h', not '{options.RetrySchedule}'.");
        }

        if (options.Workers < 1)
        {
            errors.Add($"Webhooks:Workers (env Webhooks__Workers) must be at least 1, not {options.Workers}.");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"Webhooks:BatchSize (env Webhooks__BatchSize) must be between 1 and 10000, not {options.BatchSize}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Duration(List<string> errors, string setting, string value, TimeSpan minimum)
    {
        if (!Durations.TryParse(value, out var parsed) || parsed < minimum)
        {
            errors.Add($"Webhooks:{setting} (env Webhooks__{setting}) must be a duration of at least {minimum.TotalSeconds:0.###}s, such as 500ms, 10s, 5m or 24h, not '{value}'.");
        }
    }
}
