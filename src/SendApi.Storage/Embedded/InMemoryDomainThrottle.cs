using SendApi.Core.Throttling;

namespace SendApi.Storage.Embedded;

/// <summary>The domain throttle for one process: the same rules as in Redis, under a lock, on the injected clock.</summary>
internal sealed partial class InMemoryDomainThrottle(TimeProvider time) : IDomainThrottle
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DomainState> _domains = new(StringComparer.OrdinalIgnoreCase);

    private sealed class DomainState
    {
        /// <summary>Held connection slots: token → when the slot lapses if never released.</summary>
        public Dictionary<string, DateTimeOffset> Slots { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset NextSlot { get; set; }

        public double Factor { get; set; } = 1;

        public DateTimeOffset FactorUntil { get; set; }
    }

    public Task<ThrottleDecision> TryAcquireAsync(string domain, int maxConnections, double messagesPerSecond, TimeSpan maxWait, TimeSpan slotLease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var state = State(domain);
            var factor = state.FactorUntil > now ? state.Factor : 1;
            // Release always runs in this process, but a slot still lapses with its lease as in Redis.
            foreach (var lapsed in state.Slots.Where(s => s.Value <= now).Select(s => s.Key).ToList())
            {
                state.Slots.Remove(lapsed);
            }

            if (state.Slots.Count >= Math.Max(1, (int)(maxConnections * factor)))
            {
                return Task.FromResult(new ThrottleDecision(false, ThrottleRules.SlotsFullRetry, null));
            }

            var wait = TimeSpan.Zero;
            if (messagesPerSecond > 0)
            {
                var next = state.NextSlot < now ? now : state.NextSlot;
                wait = next - now;
                if (wait > maxWait)
                {
                    return Task.FromResult(new ThrottleDecision(false, wait - maxWait, null));
                }

                state.NextSlot = next + TimeSpan.FromSeconds(1 / (messagesPerSecond * factor));
            }

            var token = Guid.NewGuid().ToString("N");
            state.Slots.Add(token, now + wait + slotLease);
            return Task.FromResult(new ThrottleDecision(true, wait, token));
        }
    }

    public Task ReleaseAsync(string domain, string token, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            State(domain).Slots.Remove(token);
        }

        return Task.CompletedTask;
    }

    public Task SetBackoffAsync(string domain, double factor, TimeSpan duration, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = State(domain);
            state.Factor = factor;
            state.FactorUntil = time.GetUtcNow() + duration;
        }

        return Task.CompletedTask;
    }

    private DomainState State(string domain)
    {
        if (!_domains.TryGetValue(domain, out var state))
        {
            state = new DomainState();
            _domains[domain] = state;
        }

        return state;
    }
}
