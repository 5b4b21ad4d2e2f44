using SendApi.Core;

namespace SendApi.Webhooks;

/// <summary>Settings under "Webhooks" (env <c>Webhooks__*</c>). Durations are strings such as "5s", "30m", "10h".</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Lets endpoints resolve to loopback, private, link-local and similar addresses. Off by
    /// default: otherwise an API key could make SendApi call services only it can reach.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// How often this host's own interface addresses are read again for the SSRF guard (they are
    /// also read at once when the system reports an address change).
    /// </summary>
    public string InterfaceAddressRefresh { get; set; } = "1m";

    /// <summary>Time an endpoint has to answer, headers and body.</summary>
    public string Timeout { get; set; } = "10s";

    /// <summary>Delays between attempts after a failure; when they run out the delivery fails.</summary>
    public string RetrySchedule { get; set; } = "5s,5m,30m,2h,5h,10h,10h";

    /// <summary>The longest Retry-After we wait for; longer ones are cut to this.</summary>
    public string MaxRetryAfter { get; set; } = "1h";

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public string RotationGracePeriod { get; set; } = "24h";

    /// <summary>Hangfire workers for webhook jobs, apart from the delivery workers: each holds one request.</summary>
    public int Workers { get; set; } = 20;

    /// <summary>How often the dispatcher looks for new events when the outbox was empty.</summary>
    public string PollInterval { get; set; } = "500ms";

    /// <summary>How often scheduled retries are checked for being due (Hangfire's schedule polling for the webhook workers).</summary>
    public string SchedulePollingInterval { get; set; } = "1s";

    /// <summary>Events a dispatcher took but did not finish for this long (it died) are taken over by another.</summary>
    public string ClaimTimeout { get; set; } = "1m";

    /// <summary>Events the dispatcher takes from the outbox at a time.</summary>
    public int BatchSize { get; set; } = 100;

    internal TimeSpan TimeoutValue => Durations.Parse(Timeout, "Webhooks:Timeout");

    internal TimeSpan InterfaceAddressRefreshValue => Durations.Parse(InterfaceAddressRefresh, "Webhooks:InterfaceAddressRefresh");

    internal TimeSpan MaxRetryAfterValue => Durations.Parse(MaxRetryAfter, "Webhooks:MaxRetryAfter");

    public TimeSpan RotationGracePeriodValue => Durations.Parse(RotationGracePeriod, "Webhooks:RotationGracePeriod");

    internal TimeSpan PollIntervalValue => Durations.Parse(PollInterval, "Webhooks:PollInterval");

    public TimeSpan SchedulePollingIntervalValue => Durations.Parse(SchedulePollingInterval, "Webhooks:SchedulePollingInterval");

    internal TimeSpan ClaimTimeoutValue => Durations.Parse(ClaimTimeout, "Webhooks:ClaimTimeout");

    internal IReadOnlyList<TimeSpan> RetryScheduleValue =>
        Durations.TryParseList(RetrySchedule, out var list) ? list : throw new FormatException("Webhooks:RetrySchedule is invalid.");
}
