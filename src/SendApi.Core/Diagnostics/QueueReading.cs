namespace SendApi.Core.Diagnostics;

/// <summary>What the delivery queue holds at one moment, for the queue gauges.</summary>
/// <param name="Depth">Every message in the queue: waiting, in flight (claimed) and deferred.</param>
/// <param name="Due">Messages due now and not claimed by a worker.</param>
/// <param name="OldestDueAge">How long the earliest due message has been due; zero when none is.</param>
/// <param name="RoundTrip">How long the store took to answer, when it is a remote one (Redis); null in process.</param>
public sealed record QueueReading(long Depth, long Due, TimeSpan OldestDueAge, TimeSpan? RoundTrip = null);

/// <summary>The store's side of the queue gauges: one cheap call that reads the queue's size and lag.</summary>
public interface IQueueGauge
{
    Task<QueueReading> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
