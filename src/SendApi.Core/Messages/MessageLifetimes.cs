namespace SendApi.Core.Messages;

/// <summary>How long the stores remember what they were told about a message; the same in both modes.</summary>
public static class MessageLifetimes
{
    /// <summary>A finished message stays readable through the status API this long, then it is forgotten.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    /// <summary>A repeated request with the same Idempotency-Key within this window returns the first message.</summary>
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
}
