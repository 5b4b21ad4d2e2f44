using SendApi.Core.Queue;

namespace SendApi.Storage.Embedded;

/// <summary>The queue view's read of the lowered limits.</summary>
internal sealed partial class InMemoryDomainThrottle
{
    public IReadOnlyDictionary<string, DomainSlowdown> Slowdowns(IReadOnlyCollection<string> domains)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            return domains
                .Where(d => _domains.TryGetValue(d, out var state) && state.FactorUntil > now)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToDictionary(d => d, d => new DomainSlowdown(_domains[d].Factor, _domains[d].FactorUntil), StringComparer.OrdinalIgnoreCase);
        }
    }
}
