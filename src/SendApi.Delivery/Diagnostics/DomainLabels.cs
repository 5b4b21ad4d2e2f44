using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SendApi.Core.Diagnostics;

namespace SendApi.Delivery.Diagnostics;

/// <summary>
/// The <c>domain</c> label of the delivery metrics, bounded: every series costs Prometheus memory
/// for as long as it is kept, and recipient domains are chosen by whoever sends, so one bulk send
/// to a thousand one-off domains must not make a thousand series. A domain has its own label when
/// the operator named it (<c>Metrics__Domains</c>, or limits in <c>Delivery__Domains</c>) or when it
/// is among the first <c>Metrics__MaxDomains</c> others this process saw; the rest are
/// <c>other</c>. "First seen" favours the big receivers, which turn up early in any real traffic;
/// it differs between instances and restarts, so alert on the named ones.
/// </summary>
internal sealed class DomainLabels
{
    public const string Other = "other";

    private readonly HashSet<string> _named;
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _max;
    private int _taken;

    public DomainLabels(IOptions<MetricsOptions> metrics, IOptions<DeliveryOptions> delivery)
    {
        _named = new HashSet<string>(metrics.Value.Domains.Concat(delivery.Value.Domains.Keys), StringComparer.OrdinalIgnoreCase);
        _max = metrics.Value.MaxDomains;
    }

    /// <summary>The label for <paramref name="domain"/>, lower-case: itself when named or among the first seen, else <see cref="Other"/>.</summary>
    public string For(string domain)
    {
        if (_named.Contains(domain) || _seen.ContainsKey(domain))
        {
            return domain.ToLowerInvariant();
        }

        // Take a place only while there is one; a lost race takes none (the winner added it).
        if (Interlocked.Increment(ref _taken) <= _max)
        {
            if (_seen.TryAdd(domain, true))
            {
                return domain.ToLowerInvariant();
            }

            Interlocked.Decrement(ref _taken);
            return domain.ToLowerInvariant();
        }

        Interlocked.Decrement(ref _taken);
        return Other;
    }
}
