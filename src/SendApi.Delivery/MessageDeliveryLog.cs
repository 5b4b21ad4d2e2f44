using Microsoft.Extensions.Logging;

namespace SendApi.Delivery;

/// <summary>
/// The log events of a delivery attempt, whichever of <see cref="MessageDelivery"/>'s steps writes
/// them. The steps log with an <c>ILogger&lt;MessageDelivery&gt;</c>, so that the category and the
/// ids stayed what they were when the attempt was one class and operators' filters still match.
/// </summary>
internal static partial class MessageDeliveryLog
{
    // Log event ids 2020–2039 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2026.
    [LoggerMessage(EventId = 2020, Level = LogLevel.Error, Message = "Message {MessageId}: unexpected error delivering to {Domain}; recorded as a temporary failure")]
    public static partial void LogUnexpected(ILogger logger, Exception exception, string messageId, string domain);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Error, Message = "Message {MessageId}: signing failed; sending it unsigned")]
    public static partial void LogSigningFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "{Domain} asked to slow down (rule {Rule}): rate and connections at {Factor} for {Duration}; reply: {Reply}")]
    public static partial void LogBackoff(ILogger logger, string domain, string rule, double factor, TimeSpan duration, string reply);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Warning, Message = "The domain throttle for {Domain} failed; its recipients wait and retry")]
    public static partial void LogThrottleFailed(ILogger logger, Exception exception, string domain);

    // One line per recipient per attempt, with every field named, for log shippers (JSON console logging).
    [LoggerMessage(EventId = 2024, Level = LogLevel.Information,
        Message = "Delivery attempt {Attempt} of message {MessageId} to {RecipientDomain} via {MxHost} [{MxIp}] (TLS: {Tls}): {ReplyCode} {EnhancedCode} in {DurationMs} ms, {Outcome}")]
    public static partial void LogAttempt(ILogger logger, string messageId, string recipientDomain, string mxHost, string mxIp, bool tls,
        int replyCode, string enhancedCode, long durationMs, string outcome, int attempt);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Warning, Message = "Message {MessageId}: the store holds its record but not its body; its recipients wait until {Until} (they fail at Delivery:MaxAge if it never comes back)")]
    public static partial void LogBodyMissing(ILogger logger, string messageId, DateTimeOffset until);
}
