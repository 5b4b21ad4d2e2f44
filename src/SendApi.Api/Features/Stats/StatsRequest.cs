using System.Globalization;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages.Stats;

namespace SendApi.Api.Features.Stats;

/// <summary>The query string of <c>GET /stats</c>, taken as strings so that every bad value is a field error.</summary>
internal sealed record StatsRequest(string? Since, string? Until, string? Tag, string? Domain, string? Interval)
{
    public const string Hour = "hour";
    public const string Day = "day";

    /// <summary>The range asked for, widened to whole intervals (UTC), and the interval's length.</summary>
    public (StatsQuery Query, TimeSpan Step)? ToQuery(string accountId, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var interval = string.IsNullOrEmpty(Interval) ? Day : Interval;
        if (interval is not (Hour or Day))
        {
            errors["interval"] = ["must be hour or day."];
            interval = Day;
        }

        var step = interval == Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        // Without a range: the last 24 hours or 7 days, the current one included.
        var until = Time(Until, "until", errors) ?? Ceiling(now, step);
        var since = Time(Since, "since", errors) ?? until - (interval == Hour ? 24 : 7) * step;
        var start = Floor(since, step);
        var end = Ceiling(until, step);
        if (!errors.ContainsKey("since") && !errors.ContainsKey("until"))
        {
            if (since >= until)
            {
                errors["until"] = ["must be later than since."];
            }
            else if (end - start > StatsLimits.Retention)
            {
                errors["since"] = [$"the range may span at most {StatsLimits.Retention.TotalDays:0} days, how long counters are kept."];
            }
        }

        var tag = string.IsNullOrEmpty(Tag) ? null : Tag;
        if (tag is not null && !MessageRules.IsValidTag(tag))
        {
            errors["tag"] = [MessageRules.TagRule];
        }

        var domain = string.IsNullOrEmpty(Domain) ? null : Domain.ToLowerInvariant();
        if (domain is not null && (domain.Length > 255 || domain.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '|' or '@')))
        {
            errors["domain"] = ["must be a domain name, e.g. example.com."];
        }
        else if (domain is not null && tag is not null)
        {
            errors["domain"] = ["cannot be combined with tag: counters are kept per tag and per domain, not per pair."];
        }

        return errors.Count > 0 ? null : (new StatsQuery(accountId, start, end, tag, domain), step);
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan step)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % step.Ticks), TimeSpan.Zero);
    }

    private static DateTimeOffset Ceiling(DateTimeOffset at, TimeSpan step) =>
        Floor(at, step) == at ? at.ToUniversalTime() : Floor(at, step) + step;

    private static DateTimeOffset? Time(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            || at.ToUnixTimeSeconds() < 0)
        {
            errors[field] = ["must be a date and time as in RFC 3339, e.g. 2026-11-22T10:00:00Z."];
            return null;
        }

        return at;
    }
}
