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

    public static string Of(IReadOnlyCollection<RecipientState> recipients)
    {
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
