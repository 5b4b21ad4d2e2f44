using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Capture;

/// <summary>Settings under "Capture" (env <c>Capture__*</c>), used when Delivery:Mode is <c>capture</c>.</summary>
public sealed class CaptureOptions
{
    public const string Section = "Capture";

    // Clearing or trimming walks the captures in one script: the bound keeps that step short.
    internal const int Limit = 100_000;

    /// <summary>Captured messages kept, across all accounts; storing one more drops the oldest.</summary>
    public int MaxMessages { get; set; } = 1000;
}

internal sealed class CaptureOptionsValidation : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options) =>
        options.MaxMessages is < 1 or > CaptureOptions.Limit
            ? ValidateOptionsResult.Fail($"Capture:MaxMessages (env Capture__MaxMessages) must be between 1 and {CaptureOptions.Limit}, not {options.MaxMessages}.")
            : ValidateOptionsResult.Success;
}
