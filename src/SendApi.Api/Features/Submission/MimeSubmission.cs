using MimeKit;
using SendApi.Api.Features.Messages;
using SendApi.Delivery.Attempts;

namespace SendApi.Api.Features.Submission;

/// <summary>
/// A message the client built itself, submitted whole: over SMTP (<see cref="SmtpSubmissionHandler"/>)
/// or over HTTP (<c>POST /messages/raw</c>). Both parse it the same way, take the SendApi headers
/// and strip Bcc the same way (<see cref="SubmissionHeaders"/>), and hand the intake the same
/// <see cref="IncomingMessage"/>; each only words the outcome in its protocol.
/// </summary>
internal static class MimeSubmission
{
    /// <summary>
    /// The message parsed, or why it could not be. A seekable <paramref name="content"/> (SMTP's
    /// pooled DATA buffer, the raw request's bytes) is parsed persistently: the parts' content stays
    /// a window on it instead of a copy, so it must outlive the message, which both channels' content
    /// does (the intake writes the message before their handler returns).
    /// </summary>
    public static async Task<(MimeMessage? Message, string? Error)> ParseAsync(Stream content, CancellationToken cancellationToken)
    {
        try
        {
            return (await MimeParsers.LoadAsync(content, persistent: content.CanSeek, cancellationToken), null);
        }
        catch (FormatException ex)
        {
            return (null, $"The message could not be parsed: {ex.Message}");
        }
    }

    /// <summary>
    /// The intake's message: SendApi's headers taken out of <paramref name="mime"/> (with
    /// <paramref name="overrides"/>, options the channel carries beside the message, winning),
    /// Bcc removed, recipients typed by the headers, and the request's fingerprint for its
    /// Idempotency-Key taken now, before the channel adds its trace.
    /// </summary>
    public static bool TryPrepare(
        string route, string id, string accountId, DateTimeOffset now, MimeMessage mime, string sender, IReadOnlyList<string> recipients,
        SubmissionOptions? overrides, out IncomingMessage message, out string error)
    {
        message = null!;
        if (!SubmissionHeaders.TryTake(mime, out var options, out error))
        {
            return false;
        }

        var tags = overrides is { Tags.Count: > 0 } ? overrides.Tags : options.Tags;
        var metadata = overrides is { Metadata.Count: > 0 } ? overrides.Metadata : options.Metadata;
        var key = overrides?.IdempotencyKey ?? options.IdempotencyKey;
        message = IncomingMessage.FromMime(id, accountId, now, mime, sender, recipients) with
        {
            Tags = tags,
            Metadata = metadata,
            IdempotencyKey = key,
            RequestFingerprint = key is null ? null : RequestFingerprint.OfMime(route, sender, recipients, mime),
            Tracking = new(
                overrides?.Tracking.Unsubscribe ?? options.Tracking.Unsubscribe,
                overrides?.Tracking.Opens ?? options.Tracking.Opens,
                overrides?.Tracking.Clicks ?? options.Tracking.Clicks),
        };
        return true;
    }
}
