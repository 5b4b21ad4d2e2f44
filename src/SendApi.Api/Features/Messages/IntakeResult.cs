namespace SendApi.Api.Features.Messages;

/// <summary>
/// What <see cref="MessageIntake"/> decided. Each channel words it in its own protocol (HTTP
/// status and problem+json, SMTP reply code); a new refusal is a new case here, which every
/// channel's switch then has to answer.
/// </summary>
internal abstract record IntakeResult;

/// <summary>Accepted: durable and queued (or, on a replay, the first message with that idempotency key).</summary>
/// <param name="Replayed">An earlier submission with the same idempotency key created it; this one created nothing.</param>
/// <param name="Suppressed">The recipients (as addressed) that were on the list and will receive nothing.</param>
/// <param name="Status">"queued", or "suppressed" when every recipient was.</param>
internal sealed record MessageAccepted(string Id, bool Replayed, IReadOnlyList<string> Suppressed, string Status) : IntakeResult;

/// <summary>Refused: the MIME message as it would be delivered is over <c>Messages:MaxSizeBytes</c>.</summary>
internal sealed record MessageTooLarge(long Size, long MaxSize) : IntakeResult
{
    /// <summary>The one wording every HTTP channel uses (SMTP answers in its own protocol's words).</summary>
    public string Reason => $"The message would be {Size} bytes; the limit is {MaxSize} bytes (Messages:MaxSizeBytes).";
}

/// <summary>Refused: the API key is bound to domains (<c>domains</c> on the key) and the From domain is not one of them.</summary>
/// <param name="Reason">Which domain was used and which the key may send as.</param>
internal sealed record SenderDomainNotAllowedForKey(string Reason) : IntakeResult;

/// <summary>Refused: <c>Domains:RequireVerified</c> is set and the From domain is not a verified sender domain of the account.</summary>
/// <param name="Reason">Which domain, and which records fail (or that it is not registered).</param>
internal sealed record SenderDomainNotVerified(string Reason) : IntakeResult;

/// <summary>Refused: the Idempotency-Key was used, within the window, for a different request.</summary>
internal sealed record IdempotencyKeyReused(string Key) : IntakeResult
{
    /// <summary>The one wording every channel uses.</summary>
    public string Reason =>
        $"The Idempotency-Key '{Key}' was used within the last {(int)Core.Messages.MessageLifetimes.IdempotencyWindow.TotalHours} h for a different request; a new request needs a new key.";
}

/// <summary>What <see cref="MessageIntake.AcceptBatchAsync"/> decided: the whole batch refused, or one result per message, in order.</summary>
/// <param name="Refused">The batch's Idempotency-Key stands for another request: nothing was accepted.</param>
/// <param name="Replayed">The key was used for this same request before, so this one created nothing new (or only what the first could not).</param>
internal sealed record BatchIntakeResult(IdempotencyKeyReused? Refused, IReadOnlyList<IntakeResult> Items, bool Replayed);
