namespace SendApi.Core.Messages;

/// <summary>The overall status of a message, derived from its recipients.</summary>
public static class MessageStatus
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Deferred = "deferred";
    public const string Delivered = "delivered";
    public const string PartiallyDelivered = "partially_delivered";
    public const string Bounced = "bounced";
    public const string Failed = "failed";

    /// <summary>Every recipient was on the suppression list: accepted, but nothing was sent.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>Every recipient that was to be sent was canceled before an attempt (a scheduled message, say).</summary>
    public const string Canceled = "canceled";

    /// <summary>
    /// Suppressed recipients were never attempted, so they do not weigh in the summary of the
    /// others: one delivered and one suppressed is "delivered" (the recipient list says the rest).
    /// Only a message whose every recipient was suppressed is "suppressed".
    /// </summary>
    public static string Of(IReadOnlyCollection<RecipientState> all)
    {
        var recipients = all.Where(r => r.Status != RecipientStatus.Suppressed).ToList();
        if (recipients.Count == 0 && all.Count > 0)
        {
            return Suppressed;
        }

        if (recipients.All(r => r.Status == RecipientStatus.Canceled))
        {
            return Canceled;
        }

        if (recipients.Any(r => r.Status == RecipientStatus.Sending))
        {
            return Sending;
        }

        if (recipients.Any(r => r.Status == RecipientStatus.Deferred))
        {
            return Deferred;
        }

        if (recipients.Any(r => r.Status == RecipientStatus.Queued))
        {
            // Some recipients may already be final while others wait their turn.
            return recipients.All(r => r.Status == RecipientStatus.Queued) ? Queued : Sending;
        }

        if (recipients.All(r => r.Status == RecipientStatus.Delivered))
        {
            return Delivered;
        }

        if (recipients.Any(r => r.Status == RecipientStatus.Delivered))
        {
            return PartiallyDelivered;
        }

        return recipients.All(r => r.Status == RecipientStatus.Bounced) ? Bounced : Failed;
    }
}
