namespace SendApi.Core.Throttling;

/// <summary>What both domain throttles answer in the same way.</summary>
public static class ThrottleRules
{
    /// <summary>
    /// When every connection slot is taken, come back after this: a slot frees as soon as a
    /// transaction ends, which nobody knows in advance, so a short fixed pause.
    /// </summary>
    public static readonly TimeSpan SlotsFullRetry = TimeSpan.FromMilliseconds(250);
}
