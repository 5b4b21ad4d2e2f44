using SendApi.Webhooks;

namespace SendApi.UnitTests.Webhooks;

public sealed class WebhookOptionsValidationTests
{
    private static string? Error(WebhookOptions options) => new WebhookOptionsValidation().Validate(null, options).FailureMessage;

    [Fact]
    public void The_defaults_are_valid_and_retry_for_about_a_day()
    {
        var options = new WebhookOptions();
        Assert.Null(Error(options));
        Assert.Equal(7, options.RetryScheduleValue.Count);
        Assert.InRange(options.RetryScheduleValue.Aggregate(TimeSpan.Zero, (a, b) => a + b), TimeSpan.FromHours(20), TimeSpan.FromHours(30));
        Assert.Equal(TimeSpan.FromSeconds(10), options.TimeoutValue);
    }

    [Theory]
    [InlineData("RetrySchedule", "5s,soon")]
    [InlineData("RetrySchedule", "100ms")]
    [InlineData("Timeout", "forever")]
    [InlineData("RotationGracePeriod", "")]
    [InlineData("PollInterval", "0s")]
    [InlineData("InterfaceAddressRefresh", "0s")]
    public void A_bad_setting_is_named_with_its_environment_variable(string setting, string value)
    {
        var options = new WebhookOptions();
        typeof(WebhookOptions).GetProperty(setting)!.SetValue(options, value);
        Assert.Contains($"Webhooks__{setting}", Error(options));
    }

    [Fact]
    public void Workers_must_be_positive()
    {
        Assert.Contains("Webhooks__Workers", Error(new WebhookOptions { Workers = 0 }));
    }
}
