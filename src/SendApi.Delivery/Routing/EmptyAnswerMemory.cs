using System.Collections.Concurrent;
using DnsClient;
using DnsClient.Protocol;

namespace SendApi.Delivery.Routing;

/// <summary>
/// Remembers that a host has no record of an address family (NODATA or NXDOMAIN), as RFC 2308
/// lets a resolver: for min(TTL, MINIMUM) of the SOA record the authoritative server put in the
/// authority section, and only when it put one there (§5: without an SOA a negative answer is not
/// cached). DnsClient caches answers that have records, by their TTL, but never an empty one, so
/// without this every delivery to an MX host that has only an A record asked for its AAAA again.
/// Failures (SERVFAIL, REFUSED, timeouts) are never remembered here: they are not answers.
/// </summary>
internal sealed class EmptyAnswerMemory(TimeProvider time)
{
    /// <summary>
    /// RFC 2308 §5 suggests capping negative caching at one to three hours; five minutes is enough
    /// to take the repeated query off every delivery, and short enough that a host which gains an
    /// IPv6 address (or an A record) is reached over it within minutes, as by a restart. Also the
    /// bound RFC 2308 §7 gives for remembering a server failure.
    /// </summary>
    internal static readonly TimeSpan Longest = TimeSpan.FromMinutes(5);

    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(string Host, QueryType Type), DateTimeOffset> _emptyUntil = new();

    /// <summary>Whether <paramref name="host"/> (lower case) was recently answered "no <paramref name="type"/> record".</summary>
    public bool IsKnownEmpty(string host, QueryType type)
    {
        if (!_emptyUntil.TryGetValue((host, type), out var until))
        {
            return false;
        }

        if (time.GetUtcNow() < until)
        {
            return true;
        }

        _emptyUntil.TryRemove(new KeyValuePair<(string, QueryType), DateTimeOffset>((host, type), until));
        return false;
    }

    /// <summary>Remembers an answer (NOERROR or NXDOMAIN) that gave <paramref name="host"/> no <paramref name="type"/> record, if its SOA allows.</summary>
    public void Remember(string host, QueryType type, IDnsQueryResponse response)
    {
        // An answer section with a CNAME (and no record of the type) is also NODATA, but for the
        // target: how long it holds depends on the CNAME's TTL as well. Rare for an MX host; not cached.
        if (response.Answers.Count > 0 || response.Authorities.SoaRecords().FirstOrDefault() is not { } soa)
        {
            return;
        }

        var seconds = Math.Min((long)soa.InitialTimeToLive, soa.Minimum);
        if (seconds <= 0)
        {
            return;
        }

        var lasting = TimeSpan.FromSeconds(seconds);
        var now = time.GetUtcNow();
        if (_emptyUntil.Count >= MaxRemembered)
        {
            Forget(now);
        }

        _emptyUntil[(host, type)] = now + (lasting < Longest ? lasting : Longest);
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, until) in _emptyUntil)
        {
            if (now >= until)
            {
                _emptyUntil.TryRemove(key, out _);
            }
        }

        if (_emptyUntil.Count >= MaxRemembered)
        {
            _emptyUntil.Clear();
        }
    }
}
