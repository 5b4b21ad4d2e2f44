using System.Globalization;

namespace SendApi.Tests.SmtpFuzz;

/// <summary>The knobs every SMTP fuzz pass reads from the environment, so a failure can be replayed and a run lengthened.</summary>
internal static class SmtpFuzzRun
{
    /// <summary>SENDAPI_FUZZ_SEED when set (to replay a failure), else the test's own seed.</summary>
    public static int Seed(int defaultSeed) =>
        Environment.GetEnvironmentVariable("SENDAPI_FUZZ_SEED") is { Length: > 0 } chosen
            ? int.Parse(chosen, CultureInfo.InvariantCulture)
            : defaultSeed;

    /// <summary>SENDAPI_FAULT_SCALE (a positive whole number) multiplies the sessions of a longer run; 1 otherwise.</summary>
    public static int Scale { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("SENDAPI_FAULT_SCALE"), CultureInfo.InvariantCulture, out var scale) && scale > 0 ? scale : 1;

    /// <summary>Each session's own seed, so a session replays alone whatever ran beside it.</summary>
    public static int SessionSeed(int seed, int listener, int session) => unchecked((seed * 65599) + (listener * 1000) + session);
}
