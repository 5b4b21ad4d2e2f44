using SendApi.Delivery;

namespace SendApi.UnitTests.Delivery;

public sealed class DeliveryOptionsValidationTests
{
    private readonly DeliveryOptionsValidation _validation = new();

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(_validation.Validate(null, new DeliveryOptions()).Succeeded);
        Assert.True(_validation.Validate(null, new DnsOptions()).Succeeded);
    }

    [Theory]
    [InlineData("Delivery__Port")]
    [InlineData("Delivery__MaxAge")]
    [InlineData("Delivery__RetrySchedule")]
    [InlineData("Delivery__HeloName")]
    [InlineData("Delivery__Mode")]
    [InlineData("Delivery__ReturnPathKey")]
    public void Each_bad_setting_is_named_with_its_environment_variable(string variable)
    {
        var options = new DeliveryOptions();
        switch (variable)
        {
            case "Delivery__Port": options.Port = 0; break;
            case "Delivery__MaxAge": options.MaxAge = "forever"; break;
            case "Delivery__RetrySchedule": options.RetrySchedule = "1m,,soon"; break;
            case "Delivery__HeloName": options.HeloName = "not a host"; break;
            case "Delivery__Mode": options.Mode = "sandbox"; break;
            case "Delivery__ReturnPathKey": options.ReturnPathKey = "too-short-to-be-a-secret"; break;
        }

        var result = _validation.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(variable, result.FailureMessage);
    }

    [Theory]
    [InlineData("127.0.0.1:5353", true)]
    [InlineData("127.0.0.1, [::1]:53", true)]
    [InlineData("", true)]
    [InlineData("dns.example.com", false)]
    public void Dns_servers_are_ip_and_optional_port(string servers, bool valid) =>
        Assert.Equal(valid, _validation.Validate(null, new DnsOptions { Servers = servers }).Succeeded);

    [Theory]
    [InlineData(0, "10m", "x", "Delivery__BackoffRules__0__Factor")]
    [InlineData(0.5, "soon", "x", "Delivery__BackoffRules__0__Duration")]
    [InlineData(0.5, "10m", "([", "Delivery__BackoffRules__0__Pattern")]
    public void Bad_backoff_rules_fail_at_start(double factor, string duration, string pattern, string named)
    {
        var options = new DeliveryOptions { BackoffRules = [new() { Name = "r", Pattern = pattern, Factor = factor, Duration = duration }] };
        var result = _validation.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage);
    }
}
