using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>What one delivery attempt of a message produced, ready to be recorded.</summary>
internal sealed record AttemptOutcome(IReadOnlyList<RecipientUpdate> Updates, IReadOnlyList<MessageEvent> Events, DateTimeOffset? NextDue);
