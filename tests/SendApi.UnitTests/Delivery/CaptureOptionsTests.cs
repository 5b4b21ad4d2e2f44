using SendApi.Delivery;
using SendApi.Delivery.Capture;

namespace SendApi.UnitTests.Delivery;

public sealed class CaptureOptionsTests
{
    [Theory]
    [InlineData("smtp", false)]
    [InlineData("capture", true)]
    [InlineData("Capture", true)]
    public void Delivery_mode_is_smtp_or_capture_in_any_case(string mode, bool captures)
    {
        var options = new DeliveryOptions { Mode = mode };

        Assert.True(new DeliveryOptionsValidation().Validate(null, options).Succeeded);
        Assert.Equal(captures, options.Captures);
    }

    [Fact]
    public void An_unknown_mode_is_refused_naming_the_variable_and_the_choices()
    {
        var result = new DeliveryOptionsValidation().Validate(null, new DeliveryOptions { Mode = "test" });

        Assert.True(result.Failed);
        Assert.Contains("Delivery__Mode", result.FailureMessage);
        Assert.Contains("'smtp'", result.FailureMessage);
        Assert.Contains("'capture'", result.FailureMessage);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(1000, true)]
    [InlineData(100_000, true)]
    [InlineData(0, false)]
    [InlineData(100_001, false)]
    public void Capture_max_messages_is_bounded(int max, bool valid)
    {
        var result = new CaptureOptionsValidation().Validate(null, new CaptureOptions { MaxMessages = max });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Capture__MaxMessages", result.FailureMessage);
        }
    }

    [Theory]
    [InlineData(1024L * 1024, true)]
    [InlineData(256L * 1024 * 1024, true)]
    [InlineData(1024L * 1024 - 1, false)]
    [InlineData(0, false)]
    public void Capture_max_bytes_is_at_least_a_mebibyte(long max, bool valid)
    {
        var result = new CaptureOptionsValidation().Validate(null, new CaptureOptions { MaxBytes = max });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Capture__MaxBytes", result.FailureMessage);
        }
    }

    [Fact]
    public void Capture_max_bytes_defaults_to_256_mebibytes()
    {
        Assert.Equal(256L * 1024 * 1024, new CaptureOptions().MaxBytes);
    }
}
