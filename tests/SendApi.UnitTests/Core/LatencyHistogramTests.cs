using SendApi.Core.Messages.Stats;

namespace SendApi.UnitTests.Core;

public sealed class LatencyHistogramTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(250, 0)]
    [InlineData(251, 1)]
    [InlineData(3_000, 4)]
    [InlineData(long.MaxValue, 18)]
    public void A_latency_falls_in_the_first_bucket_whose_upper_bound_holds_it(long ms, int bucket) =>
        Assert.Equal(bucket, LatencyHistogram.BucketOf(ms));

    [Fact]
    public void A_percentile_is_the_upper_bound_of_the_bucket_it_falls_in()
    {
        var buckets = new long[LatencyHistogram.Count];
        buckets[LatencyHistogram.BucketOf(100)] = 90;      // 90 under 250 ms
        buckets[LatencyHistogram.BucketOf(4_000)] = 9;     // 9 under 5 s
        buckets[LatencyHistogram.BucketOf(3_600_000)] = 1; // 1 under an hour

        Assert.Equal(250, LatencyHistogram.Percentile(buckets, 50));
        Assert.Equal(250, LatencyHistogram.Percentile(buckets, 90));
        Assert.Equal(5_000, LatencyHistogram.Percentile(buckets, 99));
        Assert.Equal(3_600_000, LatencyHistogram.Percentile(buckets, 100));
    }

    [Fact]
    public void No_deliveries_have_no_percentile() =>
        Assert.Null(LatencyHistogram.Percentile(new long[LatencyHistogram.Count], 50));
}
