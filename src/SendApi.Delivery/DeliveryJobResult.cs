using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// What one delivery job did, kept by Hangfire as the job's result and shown on its page in the
/// dashboard: a job whose mail all failed says so, rather than reading as a plain success.
/// </summary>
/// <param name="Claimed">Messages the job took from the delivery queue.</param>
/// <param name="Delivered">Recipients whose MX accepted the message.</param>
/// <param name="Deferred">Recipients that got a temporary failure and wait for their retry.</param>
/// <param name="Failed">Recipients that failed for good.</param>
/// <param name="Postponed">Recipients not attempted: waiting for their domain's limit, or put back at shutdown.</param>
/// <param name="TakenOver">Messages another job took over (this job's lease had run out).</param>
/// <param name="StoreErrors">Messages whose attempt could not be recorded; they go out again when their lease runs out.</param>
/// <param name="StoppedByShutdown">The host stopped while the job ran: it recorded what was done and put the rest back.</param>
public sealed record DeliveryJobResult(
    int Claimed, int Delivered, int Deferred, int Failed, int Postponed, int TakenOver, int StoreErrors, bool StoppedByShutdown);

/// <summary>The counts of a running job, added to by its concurrent deliveries.</summary>
internal sealed class DeliveryTally
{
    private int _claimed, _delivered, _deferred, _failed, _postponed, _takenOver, _storeErrors;

    public bool HasClaimed => Volatile.Read(ref _claimed) > 0;

    public void Claimed(int count) => Interlocked.Add(ref _claimed, count);

    public void TakenOver() => Interlocked.Increment(ref _takenOver);

    public void StoreError() => Interlocked.Increment(ref _storeErrors);

    public void PutBack(int recipients) => Interlocked.Add(ref _postponed, recipients);

    /// <summary>Counts an attempt's outcome per recipient; the due recipients without an outcome were postponed.</summary>
    public void Attempted(int due, IReadOnlyList<MessageEvent> events)
    {
        var delivered = events.Count(e => e.Type == MessageEventTypes.Delivered);
        var deferred = events.Count(e => e.Type == MessageEventTypes.Deferred);
        var failed = events.Count(e => e.Type == MessageEventTypes.Failed);
        Interlocked.Add(ref _delivered, delivered);
        Interlocked.Add(ref _deferred, deferred);
        Interlocked.Add(ref _failed, failed);
        Interlocked.Add(ref _postponed, Math.Max(0, due - delivered - deferred - failed));
    }

    public DeliveryJobResult Result(bool stoppedByShutdown) => new(
        Volatile.Read(ref _claimed), Volatile.Read(ref _delivered), Volatile.Read(ref _deferred), Volatile.Read(ref _failed),
        Volatile.Read(ref _postponed), Volatile.Read(ref _takenOver), Volatile.Read(ref _storeErrors), stoppedByShutdown);
}
