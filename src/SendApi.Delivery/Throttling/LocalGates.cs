using System.Collections.Concurrent;

namespace SendApi.Delivery.Throttling;

/// <summary>
/// Within this instance, transactions to a domain queue here (asynchronously) for its connection
/// limit; the shared throttle (<see cref="Core.Throttling.IDomainThrottle"/>) then holds the limit
/// across instances.
/// </summary>
internal sealed class LocalGates
{
    // Domains whose gates are kept without sweeping: more than the busiest instance's active domains.
    private const int MaxIdleGates = 4096;

    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.OrdinalIgnoreCase);
    private int _sweeping;

    /// <summary>The domain's gate, made with <paramref name="capacity"/> slots when it has none.</summary>
    public SemaphoreSlim For(string domain, int capacity)
    {
        ForgetIdle();
        return _gates.GetOrAdd(domain, _ => new Gate(capacity)).Semaphore;
    }

    /// <summary>
    /// Drops the gates of domains with no transaction in flight once there are many: mail reaches
    /// a long tail of domains once each, and their gates would otherwise be kept for ever. A
    /// domain whose gate is dropped just as it is taken can briefly have two; the shared throttle
    /// still holds its connection limit.
    /// </summary>
    private void ForgetIdle()
    {
        if (_gates.Count <= MaxIdleGates || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (domain, gate) in _gates)
            {
                if (gate.Semaphore.CurrentCount == gate.Capacity)
                {
                    _gates.TryRemove(new KeyValuePair<string, Gate>(domain, gate));
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private sealed class Gate(int capacity)
    {
        public int Capacity { get; } = capacity;

        public SemaphoreSlim Semaphore { get; } = new(capacity, capacity);
    }
}
