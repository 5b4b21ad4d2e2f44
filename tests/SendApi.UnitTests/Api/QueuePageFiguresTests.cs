using System.Globalization;
using SendApi.Api.Operator.Queue;

namespace SendApi.UnitTests.Api;

/// <summary>
/// The mail pages' figures read the same whatever the server's locale: an operator whose server
/// runs with LANG=de_DE.UTF-8 or en_US.UTF-8 sees "50 %" and "1.5 h", as on a container's invariant culture.
/// </summary>
public sealed class QueuePageFiguresTests
{
    [Theory]
    [InlineData("en-US")]
    [InlineData("de-DE")]
    [InlineData("fr-FR")]
    public void Throttle_factors_and_ages_do_not_follow_the_server_s_locale(string culture)
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo(culture);
        try
        {
            Assert.Equal("50 %", Html.Percent(0.5));
            Assert.Equal("25 %", Html.Percent(0.25));
            Assert.Equal("1.5 h", Html.Age(TimeSpan.FromMinutes(90)));
            Assert.Equal("2.5 days", Html.Age(TimeSpan.FromHours(60)));
            Assert.Equal("12 min", Html.Age(TimeSpan.FromMinutes(12)));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
