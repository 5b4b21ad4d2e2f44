namespace SendApi.Core.Messages;

/// <summary>Where one recipient of a message stands. Serialized in lower case (queued, sending, …).</summary>
public enum RecipientStatus
{
    Queued,
    Sending,
    Delivered,
    Deferred,
    Bounced,
    Failed,

    /// <summary>On the account's suppression list when the message was accepted: never attempted.</summary>
    Suppressed,

    /// <summary>Canceled (by its sender or an operator) while it waited for an attempt: never attempted again.</summary>
    Canceled,
}

public enum RecipientKind
{
    To,
    Cc,
    Bcc,
}

public static class RecipientStatusExtensions
{
    /// <summary>Final states never change again through delivery; only later evidence (a bounce) may.</summary>
    public static bool IsFinal(this RecipientStatus status) =>
        status is RecipientStatus.Delivered or RecipientStatus.Bounced or RecipientStatus.Failed or RecipientStatus.Suppressed or RecipientStatus.Canceled;
}
