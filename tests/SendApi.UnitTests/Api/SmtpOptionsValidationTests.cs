using SendApi.Api.Features.Submission;

namespace SendApi.UnitTests.Api;

public sealed class SmtpOptionsValidationTests
{
    private readonly SmtpOptionsValidation _validation = new();

    [Fact]
    public void Defaults_are_valid_and_bound_every_listener()
    {
        var defaults = new SmtpOptions();

        Assert.True(_validation.Validate(null, defaults).Succeeded);
        Assert.Equal(1000, defaults.MaxConnections);
        Assert.Equal("10s", defaults.TlsHandshakeTimeout);
    }

    [Theory]
    [InlineData("Smtp__MaxConnections", "0")]
    [InlineData("Smtp__MaxConnections", "-5")]
    [InlineData("Smtp__TlsHandshakeTimeout", "soon")]
    [InlineData("Smtp__TlsHandshakeTimeout", "0s")]
    [InlineData("Smtp__TlsHandshakeTimeout", "")]
    [InlineData("Smtp__MaxConnectionsPerIp", "0")]
    [InlineData("Smtp__IdleTimeout", "500ms")]
    public void Each_bad_connection_setting_fails_at_start_naming_its_environment_variable(string variable, string value)
    {
        var options = new SmtpOptions();
        switch (variable)
        {
            case "Smtp__MaxConnections": options.MaxConnections = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Smtp__TlsHandshakeTimeout": options.TlsHandshakeTimeout = value; break;
            case "Smtp__MaxConnectionsPerIp": options.MaxConnectionsPerIp = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Smtp__IdleTimeout": options.IdleTimeout = value; break;
        }

        var result = _validation.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(variable, result.FailureMessage);
    }
}
