using Microsoft.Extensions.Options;
using SendApi.Core;

namespace SendApi.Api.Auth.RateLimits;

/// <summary>Settings under "ApiKeys" (env <c>ApiKeys__*</c>): the per-key rate limit.</summary>
public sealed class ApiKeysOptions
{
    public const string Section = "ApiKeys";

    internal const int MaxRateLimit = 1_000_000;

    /// <summary>
    /// Requests (HTTP requests and SMTP messages together) a key may make per
    /// <see cref="RateLimitWindow"/> when it was created without its own <c>rate_limit</c>;
    /// 0: no limit for such keys. Admin keys are never limited. Default 1200.
    /// </summary>
    public int RateLimit { get; set; } = 1200;

    /// <summary>The fixed window the limits count in, 1s to 1d. Default 1m.</summary>
    public string RateLimitWindow { get; set; } = "1m";

    internal TimeSpan RateLimitWindowValue => Durations.Parse(RateLimitWindow, "ApiKeys:RateLimitWindow");
}

internal sealed class ApiKeysOptionsValidation : IValidateOptions<ApiKeysOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeysOptions options)
    {
        var errors = new List<string>();
        if (options.RateLimit is < 0 or > ApiKeysOptions.MaxRateLimit)
        {
            errors.Add($"ApiKeys:RateLimit (env ApiKeys__RateLimit) must be between 0 (no limit) and {ApiKeysOptions.MaxRateLimit}, not {options.RateLimit}.");
        }

        if (!Durations.TryParse(options.RateLimitWindow, out var window) || window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(1)
            || window.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add($"ApiKeys:RateLimitWindow (env ApiKeys__RateLimitWindow) must be whole seconds from 1s to 1d (e.g. 1s, 1m, 1h), not '{options.RateLimitWindow}'.");
        }

        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
