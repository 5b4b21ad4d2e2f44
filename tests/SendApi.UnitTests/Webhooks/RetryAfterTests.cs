using SendApi.Webhooks;

namespace SendApi.UnitTests.Webhooks;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Cap = TimeSpan.FromHours(1);

    [Fact]
    public void Delay_seconds_are_read()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), RetryAfter.Parse("120", Now, Cap));
        Assert.Equal(TimeSpan.Zero, RetryAfter.Parse("0", Now, Cap));
    }

    [Fact]
    public void An_http_date_is_the_time_until_then()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), RetryAfter.Parse("Sun, 22 Nov 2026 12:05:00 GMT", Now, Cap));
    }

    [Fact]
    public void A_date_in_the_past_means_now()
    {
        Assert.Equal(TimeSpan.Zero, RetryAfter.Parse("Sun, 22 Nov 2026 11:00:00 GMT", Now, Cap));
    }

    [Fact]
    public void Long_delays_are_capped()
    {
        Assert.Equal(Cap, RetryAfter.Parse("86400", Now, Cap));
        Assert.Equal(Cap, RetryAfter.Parse("Mon, 23 Nov 2026 12:00:00 GMT", Now, Cap));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void Absent_or_unreadable_values_are_ignored(string? value)
    {
        Assert.Null(RetryAfter.Parse(value, Now, Cap));
    }
}
