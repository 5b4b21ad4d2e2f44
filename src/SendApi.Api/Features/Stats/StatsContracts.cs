using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;

namespace SendApi.Api.Features.Stats;

/// <summary>The answer of <c>GET /stats</c>: one entry per interval, oldest first, and the totals of the range.</summary>
/// <param name="Interval">hour or day (UTC).</param>
/// <param name="Since">The range's start, widened to a whole interval.</param>
/// <param name="Until">The range's end (exclusive), widened to a whole interval.</param>
public sealed record StatsReport(
    string Interval,
    DateTimeOffset Since,
    DateTimeOffset Until,
    string? Tag,
    string? Domain,
    IReadOnlyList<StatsPeriod> Data,
    StatsPeriod Totals);

/// <summary>
/// Counts of one interval, per recipient: <c>queued</c> recipients accepted for delivery, and the
/// events of each other type (a recipient deferred twice counts two deferrals).
/// </summary>
/// <param name="DeliveryLatency">Accept → delivered, for the recipients delivered in this interval.</param>
public sealed record StatsPeriod(
    DateTimeOffset Start,
    DateTimeOffset End,
    long Queued,
    long Delivered,
    long Deferred,
    long Bounced,
    long Failed,
    long Complained,
    long Suppressed,
    long Canceled,
    long Unsubscribed,
    long Opened,
    long Clicked,
    DeliveryLatency DeliveryLatency)
{
    internal static StatsPeriod Of(DateTimeOffset start, DateTimeOffset end, IReadOnlyList<HourStats> hours)
    {
        long Sum(string type) => hours.Sum(h => h.Counts.GetValueOrDefault(type));
        var latency = new long[LatencyHistogram.Count];
        foreach (var hour in hours)
        {
            for (var i = 0; i < latency.Length; i++)
            {
                latency[i] += hour.Latency[i];
            }
        }

        return new StatsPeriod(
            start, end,
            Sum(MessageEventTypes.Queued), Sum(MessageEventTypes.Delivered), Sum(MessageEventTypes.Deferred), Sum(MessageEventTypes.Bounced),
            Sum(MessageEventTypes.Failed), Sum(MessageEventTypes.Complained), Sum(MessageEventTypes.Suppressed),
            Sum(MessageEventTypes.Canceled),
            Sum(MessageEventTypes.Unsubscribed), Sum(MessageEventTypes.Opened), Sum(MessageEventTypes.Clicked),
            DeliveryLatency.Of(latency));
    }
}

/// <summary>
/// Percentiles of accept → delivered time, in milliseconds, from a histogram with fixed buckets
/// (250 ms, 500 ms, 1 s, 2 s, 5 s, 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 30 min, 1 h, 2 h, 4 h,
/// 12 h, 1 d, 2 d, 7 d): each is the upper bound of the bucket it falls in. Null without deliveries.
/// </summary>
public sealed record DeliveryLatency(long Count, long? P50Ms, long? P90Ms, long? P99Ms)
{
    internal static DeliveryLatency Of(IReadOnlyList<long> buckets) =>
        new(buckets.Sum(), LatencyHistogram.Percentile(buckets, 50), LatencyHistogram.Percentile(buckets, 90), LatencyHistogram.Percentile(buckets, 99));
}
