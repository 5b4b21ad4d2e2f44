namespace SendApi.Core.Throttling;

/// <summary>
/// The answer to "may I start a transaction to this domain?": granted (start after
/// <paramref name="Wait"/>, holding <paramref name="Token"/> until done), or refused with how long
/// to stay away.
/// </summary>
public readonly record struct ThrottleDecision(bool Granted, TimeSpan Wait, string? Token);

/// <summary>
/// Per-destination-domain limits shared by every instance that shares the store: simultaneous
/// transactions, and messages per second as evenly spaced reserved slots (GCRA). An adaptive
/// factor lowers both for a while after a receiver said "slow down".
/// </summary>
public interface IDomainThrottle
{
    /// <param name="messagesPerSecond">0 = no rate limit.</param>
    /// <param name="maxWait">A slot further away than this is not reserved; the caller should come back later.</param>
    /// <param name="slotLease">A connection slot whose holder died is free again after this long.</param>
    Task<ThrottleDecision> TryAcquireAsync(string domain, int maxConnections, double messagesPerSecond, TimeSpan maxWait, TimeSpan slotLease, CancellationToken cancellationToken);

    Task ReleaseAsync(string domain, string token, CancellationToken cancellationToken);

    /// <summary>Multiplies the domain's limits by <paramref name="factor"/> (0..1) for <paramref name="duration"/>, then they return to normal.</summary>
    Task SetBackoffAsync(string domain, double factor, TimeSpan duration, CancellationToken cancellationToken);
}
