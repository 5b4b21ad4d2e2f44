using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Capture;

/// <summary>Settings under "Capture" (env <c>Capture__*</c>), used when Delivery:Mode is <c>capture</c>.</summary>
public sealed class CaptureOptions
{
    public const string Section = "Capture";

    // Clearing or trimming walks the captures in one script: the bound keeps that step short.
    internal const int Limit = 100_000;

    internal const long MinBytes = 1024 * 1024;

    /// <summary>Captured messages kept, across all accounts; storing one more drops the oldest.</summary>
    public int MaxMessages { get; set; } = 1000;

    /// <summary>
    /// Octets of captured mail kept, across all accounts; beyond it the oldest are dropped (the
    /// newest is always kept). Needed beside the count: a message to 50 domains is 50 captures of
    /// the whole message, so 1000 of the largest messages would be gigabytes.
    /// </summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;
}

internal sealed class CaptureOptionsValidation : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options)
    {
        var errors = new List<string>();
        if (options.MaxMessages is < 1 or > CaptureOptions.Limit)
        {
            errors.Add($"Capture:MaxMessages (env Capture__MaxMessages) must be between 1 and {CaptureOptions.Limit}, not {options.MaxMessages}.");
        }

        if (options.MaxBytes < CaptureOptions.MinBytes)
        {
            errors.Add($"Capture:MaxBytes (env Capture__MaxBytes) must be at least {CaptureOptions.MinBytes} (1 MiB), not {options.MaxBytes}.");
        }

        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
