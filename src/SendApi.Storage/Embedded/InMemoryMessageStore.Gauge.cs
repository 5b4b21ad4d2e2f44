using SendApi.Core.Diagnostics;

namespace SendApi.Storage.Embedded;

/// <summary>The queue gauges' reading, from the due index under the store's lock.</summary>
internal sealed partial class InMemoryMessageStore : IQueueGauge
{
    public Task<QueueReading> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (_due.Count == 0)
            {
                return Task.FromResult(new QueueReading(0, 0, TimeSpan.Zero));
            }

            // Claimed messages sit at their lease's end, in the future, so what is at or before now is due and unclaimed.
            var first = _due.Min;
            if (first.Due > nowMs)
            {
                return Task.FromResult(new QueueReading(_due.Count, 0, TimeSpan.Zero));
            }

            // In order of due time: counting stops at the first one not due.
            var due = _due.TakeWhile(e => e.Due <= nowMs).Count();
            return Task.FromResult(new QueueReading(_due.Count, due, TimeSpan.FromMilliseconds(nowMs - first.Due)));
        }
    }
}
