using DnsClient;
using DnsClient.Protocol;

namespace SendApi.Delivery.Routing;

/// <summary>
/// How long an empty answer (NODATA or NXDOMAIN: no record of the family) may be remembered, as
/// RFC 2308 lets a resolver: min(TTL, MINIMUM) of the SOA record the authoritative server put in
/// the authority section, and only when it put one there (§5: without an SOA a negative answer is
/// not cached). DnsClient caches answers that have records, by their TTL, but never an empty one,
/// so without this every delivery to an MX host that has only an A record asked for its AAAA again.
/// Failures (SERVFAIL, REFUSED, timeouts) never come here: they are not answers.
/// </summary>
internal static class NegativeAnswers
{
    /// <summary>
    /// RFC 2308 §5 suggests capping negative caching at one to three hours; five minutes is enough
    /// to take the repeated query off every delivery, and short enough that a host which gains an
    /// IPv6 address (or an A record) is reached over it within minutes, as by a restart. Also the
    /// bound RFC 2308 §7 gives for remembering a server failure.
    /// </summary>
    internal static readonly TimeSpan Longest = TimeSpan.FromMinutes(5);

    /// <summary>How long to remember <paramref name="response"/>, an answer with no record of the family asked; null for not at all.</summary>
    public static TimeSpan? TimeToRemember(IDnsQueryResponse response)
    {
        // An answer section with a CNAME (and no record of the type) is also NODATA, but for the
        // target: how long it holds depends on the CNAME's TTL as well. Rare for an MX host; not cached.
        if (response.Answers.Count > 0 || response.Authorities.SoaRecords().FirstOrDefault() is not { } soa)
        {
            return null;
        }

        var seconds = Math.Min((long)soa.InitialTimeToLive, soa.Minimum);
        return seconds <= 0 ? null : TimeSpan.FromSeconds(Math.Min(seconds, (long)Longest.TotalSeconds));
    }
}
