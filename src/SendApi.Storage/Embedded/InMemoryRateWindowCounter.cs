using System.Collections.Concurrent;
using SendApi.Core.Accounts;

namespace SendApi.Storage.Embedded;

/// <summary>
/// Rate-limit windows in this process (embedded mode runs one instance). Only the current window
/// of each name is kept: a count for a newer window replaces it, so idle keys hold one entry each.
/// </summary>
internal sealed class InMemoryRateWindowCounter : IRateWindowCounter
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public Task<long> IncrementAsync(string name, long window, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var current = _windows.AddOrUpdate(
            name,
            static (_, w) => new Window(w, 1),
            // A request timed in a window older than the one kept (its clock read just before the
            // boundary, another's just after) counts in the newer one rather than in none.
            static (_, existing, w) => existing.Number < w ? new Window(w, 1) : existing with { Count = existing.Count + 1 },
            window);
        return Task.FromResult(current.Count);
    }

    private sealed record Window(long Number, long Count);
}
