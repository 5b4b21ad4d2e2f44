using SendApi.Core.Messages;

namespace SendApi.Delivery.Attempts;

/// <summary>What one transaction came back with: a reply per recipient, where it went, and how long it took (when it ran).</summary>
internal sealed record SentTransaction(IReadOnlyList<SmtpReply> Replies, string? Via, long? DurationMs);
