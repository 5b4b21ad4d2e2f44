using SendApi.Core;

namespace SendApi.UnitTests.Core;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("48h", 172800)]
    [InlineData("2d", 172800)]
    [InlineData("500ms", 0.5)]
    [InlineData("00:05:00", 300)]
    [InlineData("1.5h", 5400)]
    public void Parses_operator_friendly_durations(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("5 parsecs")]
    public void Rejects_what_is_not_a_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Parse_names_the_setting_in_its_error()
    {
        var ex = Assert.Throws<FormatException>(() => Durations.Parse("forever", "Delivery:MaxAge"));
        Assert.Contains("Delivery:MaxAge", ex.Message);
    }

    [Fact]
    public void Parses_a_retry_schedule_list()
    {
        Assert.True(Durations.TryParseList("1m, 5m,15m,1h", out var list));
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1)], list);
        Assert.False(Durations.TryParseList("1m,never", out _));
    }
}
