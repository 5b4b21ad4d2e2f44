using MimeKit;

namespace SendApi.Inbound;

/// <summary>Tells what a message received on port 25 is: a bounce, a complaint, an auto-reply or a reply.</summary>
public static class InboundClassifier
{
    /// <param name="message">The message as received.</param>
    /// <param name="envelopeSender">MAIL FROM as received: <c>""</c> for the null sender <c>&lt;&gt;</c>, null when not known.</param>
    public static InboundReport Classify(MimeMessage message, string? envelopeSender = null)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Structure first: a report part says what the message is, whatever its headers or words claim.
        var parts = MimeParts.Walk(message.Body).ToList();
        if (parts.OfType<MessageFeedbackReport>().FirstOrDefault() is { } feedback
            && FeedbackReportReader.Read(message, feedback) is { } complaint)
        {
            return complaint;
        }

        if (parts.OfType<MessageDeliveryStatus>().FirstOrDefault() is { } status)
        {
            var recipients = DeliveryStatusReader.Read(status);
            if (recipients.Count > 0)
            {
                return new Bounce(recipients, IsRfc3464: true, Original(message));
            }
        }

        // MTAs mark their own bounces Auto-Submitted (Postfix, Exim), so a mail system's failure
        // notice is decided before the auto-reply headers are looked at.
        if (LegacyBounceReader.IsFromMailerDaemon(message))
        {
            return WithFallbackId(LegacyBounceReader.Read(message), message);
        }

        if (AutoReplyDetector.Detect(message) is { } reason)
        {
            return new AutoReply(reason);
        }

        if (LegacyBounceReader.IsTitledAsBounce(message, envelopeSender))
        {
            return WithFallbackId(LegacyBounceReader.Read(message), message);
        }

        return new Reply();
    }

    private static OriginalMessage Original(MimeMessage report)
    {
        var original = OriginalMessageReader.FromParts(report);
        return original.MessageId is null ? original with { MessageId = ReferencedId(report) } : original;
    }

    private static Bounce WithFallbackId(Bounce bounce, MimeMessage report) =>
        bounce.Original.MessageId is null
            ? bounce with { Original = bounce.Original with { MessageId = ReferencedId(report) } }
            : bounce;

    /// <summary>
    /// Some MTAs (Gmail among them) thread their notice to the original with In-Reply-To or
    /// References; when no copy is returned that is the only trace of the original's Message-ID.
    /// </summary>
    private static string? ReferencedId(MimeMessage report) =>
        report.InReplyTo ?? (report.References.Count > 0 ? report.References[^1] : null);
}
