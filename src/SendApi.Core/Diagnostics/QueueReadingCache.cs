namespace SendApi.Core.Diagnostics;

/// <summary>
/// The queue gauges' reading, fetched from the store at most once per <see cref="MaxAge"/>
/// however many scrapers ask (two Prometheus replicas, a curl) and whether or not it answers, and
/// never more than once at a time. A scrape that finds it old waits briefly for the new one and
/// otherwise reports the last.
/// </summary>
internal sealed class QueueReadingCache(IQueueGauge store, TimeProvider time, Action<QueueReading> fetched)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    // A scrape must not hang on a slow store: past this it reports the previous reading.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private QueueReading? _latest;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private Task? _fetching;

    /// <summary>The latest reading, refreshed first when it is older than <see cref="MaxAge"/>; null until the store has answered once.</summary>
    public QueueReading? Latest()
    {
        Task? fetching;
        lock (_gate)
        {
            if (time.GetUtcNow() - _fetchedAt < MaxAge)
            {
                return _latest;
            }

            // Off this lock and this thread: the embedded store answers synchronously, and a fetch
            // that finished before it was stored here would otherwise look in flight for ever.
            if (_fetching is null || _fetching.IsCompleted)
            {
                _fetching = Task.Run(FetchAsync);
            }

            fetching = _fetching;
        }

        // The gauges' callbacks are synchronous (the exporter collects on the scrape's thread).
        fetching.Wait(Wait);
        lock (_gate)
        {
            return _latest;
        }
    }

    private async Task FetchAsync()
    {
        var now = time.GetUtcNow();
        try
        {
            var reading = await store.ReadAsync(now, CancellationToken.None).ConfigureAwait(false);
            fetched(reading);
            lock (_gate)
            {
                _latest = reading;
                _fetchedAt = now;
            }
        }
        catch (Exception)
        {
            // The store is down (the readiness check says why): no reading rather than an old one,
            // so that the gauges' series go stale instead of showing a queue that no longer is;
            // asked again after the same interval, so a scrape still costs one call at most.
            lock (_gate)
            {
                _latest = null;
                _fetchedAt = now;
            }
        }
    }
}
