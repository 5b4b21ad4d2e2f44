namespace SendApi.Core.Instances;

/// <summary>
/// The instances sharing a store and their heartbeats. An instance that stops beating (killed,
/// frozen, cut off) is taken over by another: its claimed messages are due again at once and its
/// domain connection slots are free, instead of both waiting for their leases to run out.
/// </summary>
public interface IInstanceRegistry
{
    /// <summary>Records that <paramref name="instance"/> is alive for <paramref name="timeout"/> more (on the store's clock).</summary>
    Task HeartbeatAsync(ProcessInstance instance, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Takes over what every instance whose heartbeat lapsed held; its claimed messages become due at <paramref name="now"/>.</summary>
    Task<TakenOver> TakeOverLapsedAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>What a take-over freed: lapsed instances, their claimed messages, their domain connection slots.</summary>
public readonly record struct TakenOver(int Instances, int Messages, int Slots);
