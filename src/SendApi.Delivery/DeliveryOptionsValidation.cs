using Microsoft.Extensions.Options;
using SendApi.Core;

namespace SendApi.Delivery;

/// <summary>Checks the Delivery and Dns settings at start, naming the setting (and its env var) that is wrong.</summary>
internal sealed class DeliveryOptionsValidation : IValidateOptions<DeliveryOptions>, IValidateOptions<DnsOptions>
{
    private static readonly TimeSpan MaxJobLifetime = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var errors = new List<string>();
        if (!string.Equals(options.Mode, DeliveryOptions.SmtpMode, StringComparison.OrdinalIgnoreCase) && !options.Captures)
        {
            errors.Add($"Delivery:Mode (env Delivery__Mode) must be '{DeliveryOptions.SmtpMode}' (send to the recipients' MX hosts) or '{DeliveryOptions.CaptureMode}' (keep mail and show it at /captured), not '{options.Mode}'.");
        }

        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"Delivery:Port (env Delivery__Port) must be between 1 and 65535, not {options.Port}.");
        }

        if (string.IsNullOrWhiteSpace(options.HeloName) || options.HeloName.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '@'))
        {
            errors.Add($"Delivery:HeloName (env Delivery__HeloName) must be a host name, not '{options.HeloName}'.");
        }

        Duration(errors, "MaxAge", options.MaxAge, mustBePositive: true);
        Duration(errors, "ConnectTimeout", options.ConnectTimeout, mustBePositive: true);
        Duration(errors, "CommandTimeout", options.CommandTimeout, mustBePositive: true);
        Duration(errors, "ClaimLease", options.ClaimLease, mustBePositive: true);
        Duration(errors, "PollInterval", options.PollInterval, mustBePositive: true);
        Duration(errors, "InstanceHeartbeat", options.InstanceHeartbeat, mustBePositive: true);
        Duration(errors, "InstanceTimeout", options.InstanceTimeout, mustBePositive: true);
        // A timeout no shorter than the lease is allowed; the lease then simply comes first.
        if (Durations.TryParse(options.InstanceHeartbeat, out var beat) && Durations.TryParse(options.InstanceTimeout, out var lapse) && lapse < beat * 2)
        {
            errors.Add($"Delivery:InstanceTimeout (env Delivery__InstanceTimeout) must be at least twice Delivery:InstanceHeartbeat ({options.InstanceHeartbeat}), or one late heartbeat would declare a live instance dead; not '{options.InstanceTimeout}'.");
        }
        if (!Durations.TryParseList(options.RetrySchedule, out var schedule) || schedule.Any(d => d < TimeSpan.FromSeconds(1)))
        {
            errors.Add($"Delivery:RetrySchedule (env Delivery__RetrySchedule) must be a comma-separated list of durations of at least 1s, such as '1m,5m,15m,1h', not '{options.RetrySchedule}'.");
        }

        Duration(errors, "ConnectionIdleTimeout", options.ConnectionIdleTimeout, mustBePositive: true);
        Positive(errors, "MessagesPerConnection", options.MessagesPerConnection);
        Positive(errors, "MaxConnectionsPerHost", options.MaxConnectionsPerHost);
        Limits(errors, "DefaultLimits", options.DefaultLimits);
        foreach (var (domain, limits) in options.Domains)
        {
            Limits(errors, $"Domains:{domain}", limits);
        }

        if (options.ReturnPathDomain is { Length: > 0 } returnPath && Uri.CheckHostName(returnPath) != UriHostNameType.Dns)
        {
            errors.Add($"Delivery:ReturnPathDomain (env Delivery__ReturnPathDomain) must be a domain name, not '{returnPath}'.");
        }

        if (options.ReturnPathKey is { } key && (key.Length < 32 || key.Any(char.IsWhiteSpace)))
        {
            errors.Add("Delivery:ReturnPathKey (env Delivery__ReturnPathKey) must be at least 32 characters without spaces (e.g. the output of 'openssl rand -hex 32'), or unset to use a generated key.");
        }

        for (var i = 0; i < options.BackoffRules.Count; i++)
        {
            var rule = options.BackoffRules[i];
            var env = $"Delivery__BackoffRules__{i}";
            if (rule.Factor is not (> 0 and <= 1))
            {
                errors.Add($"{env}__Factor must be more than 0 and at most 1, not {rule.Factor}.");
            }

            if (!Durations.TryParse(rule.Duration, out var duration) || duration <= TimeSpan.Zero)
            {
                errors.Add($"{env}__Duration must be a positive duration such as 10m, not '{rule.Duration}'.");
            }

            try
            {
                _ = Throttling.BackoffRules.Compile(rule.Pattern);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"{env}__Pattern is not a valid regular expression: {ex.Message}");
            }
        }

        Positive(errors, "ConcurrencyPerJob", options.ConcurrencyPerJob);
        Positive(errors, "Workers", options.Workers);
        if (!Durations.TryParse(options.JobLifetime, out var lifetime) || lifetime <= TimeSpan.Zero || lifetime > MaxJobLifetime)
        {
            // A job lasts its lifetime plus its slowest deliveries; Hangfire on Redis hands a job that has been
            // running for 30 minutes (its invisibility timeout) to another worker as if its server had died.
            errors.Add($"Delivery:JobLifetime (env Delivery__JobLifetime) must be a positive duration of at most {MaxJobLifetime.TotalMinutes:0}m, such as 1m, not '{options.JobLifetime}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public ValidateOptionsResult Validate(string? name, DnsOptions options)
    {
        var errors = new List<string>();
        if (!DnsOptions.TryParseServers(options.Servers, out _))
        {
            errors.Add($"Dns:Servers (env Dns__Servers) must be a comma-separated list of IP[:port], e.g. '127.0.0.1:5353', not '{options.Servers}'.");
        }

        if (!Durations.TryParse(options.Timeout, out var timeout) || timeout <= TimeSpan.Zero)
        {
            errors.Add($"Dns:Timeout (env Dns__Timeout) must be a positive duration, not '{options.Timeout}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Duration(List<string> errors, string setting, string value, bool mustBePositive)
    {
        if (!Durations.TryParse(value, out var parsed) || (mustBePositive && parsed <= TimeSpan.Zero))
        {
            errors.Add($"Delivery:{setting} (env Delivery__{setting}) must be a positive duration such as 90s, 15m, 48h or 2d, not '{value}'.");
        }
    }

    private static void Limits(List<string> errors, string setting, DomainLimits limits)
    {
        var env = setting.Replace(":", "__", StringComparison.Ordinal);
        if (limits.MaxConnections < 1)
        {
            errors.Add($"Delivery:{setting}:MaxConnections (env Delivery__{env}__MaxConnections) must be at least 1, not {limits.MaxConnections}.");
        }

        if (limits.MaxMessagesPerSecond < 0 || !double.IsFinite(limits.MaxMessagesPerSecond))
        {
            errors.Add($"Delivery:{setting}:MaxMessagesPerSecond (env Delivery__{env}__MaxMessagesPerSecond) must be 0 (unlimited) or more, not {limits.MaxMessagesPerSecond}.");
        }
    }

    private static void Positive(List<string> errors, string setting, int value)
    {
        if (value < 1)
        {
            errors.Add($"Delivery:{setting} (env Delivery__{setting}) must be at least 1, not {value}.");
        }
    }
}
