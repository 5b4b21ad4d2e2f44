namespace SendApi.Core.Messages.Stats;

/// <summary>
/// Delivery latency (accept → delivered) as counters in fixed buckets, so that hours add up and
/// percentiles of any range come from the sums. A percentile is the upper bound of the bucket it
/// falls in: its resolution is the bucket's width.
/// </summary>
public static class LatencyHistogram
{
    /// <summary>Upper bounds in milliseconds; the last bucket also takes anything slower.</summary>
    public static readonly IReadOnlyList<long> UpperBoundsMs =
    [
        250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
        1_800_000, 3_600_000, 7_200_000, 14_400_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
    ];

    public static int Count => UpperBoundsMs.Count;

    public static int BucketOf(long latencyMs)
    {
        for (var i = 0; i < UpperBoundsMs.Count - 1; i++)
        {
            if (latencyMs <= UpperBoundsMs[i])
            {
                return i;
            }
        }

        return UpperBoundsMs.Count - 1;
    }

    /// <summary>The upper bound of the bucket holding the <paramref name="percentile"/>th (0-100) value; null when empty.</summary>
    public static long? Percentile(IReadOnlyList<long> buckets, double percentile)
    {
        var total = buckets.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(percentile / 100 * total);
        var seen = 0L;
        for (var i = 0; i < buckets.Count; i++)
        {
            seen += buckets[i];
            if (seen >= Math.Max(1, rank))
            {
                return UpperBoundsMs[i];
            }
        }

        return UpperBoundsMs[^1];
    }
}
