using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded store's counters: the same hashes and fields as Redis (<see cref="StatsFields"/>),
/// per hour, with the same cap per dimension, dropped <see cref="StatsLimits.Retention"/> after
/// their hour. Not thread-safe: the message store calls it under its lock.
/// </summary>
internal sealed class InMemoryStatsCounters
{
    private const string Totals = "";
    private const string ByTag = "t";
    private const string ByDomain = "d";

    private readonly SortedDictionary<long, Dictionary<(string Account, string Dimension), Dictionary<string, long>>> _byHour = [];

    public void Count(MessageEnvelope envelope, IEnumerable<StatsIncrement> increments)
    {
        foreach (var increment in increments)
        {
            long? latency = (long)(increment.At - envelope.CreatedAt).TotalMilliseconds;
            var suffixes = StatsFields.Suffixes(increment.Type, latency).ToList();
            var hour = StatsEvents.HourOf(increment.At);
            Add(Hash(hour, envelope.AccountId, Totals), "", suffixes);
            foreach (var tag in envelope.Tags.Distinct(StringComparer.Ordinal))
            {
                Add(Hash(hour, envelope.AccountId, ByTag), tag, suffixes);
            }

            if (increment.Domain.Length > 0)
            {
                Add(Hash(hour, envelope.AccountId, ByDomain), increment.Domain, suffixes);
            }
        }
    }

    public IReadOnlyList<HourStats> Read(StatsQuery query)
    {
        var (dimension, name) = query switch
        {
            { Tag: { } tag } => (ByTag, tag),
            { Domain: { } domain } => (ByDomain, domain),
            _ => (Totals, ""),
        };
        var fields = StatsFields.Wanted(name);
        var hours = new List<HourStats>();
        for (var hour = StatsEvents.HourOf(query.Start); hour < StatsEvents.HourOf(query.End); hour++)
        {
            var hash = _byHour.TryGetValue(hour, out var hashes) ? hashes.GetValueOrDefault((query.AccountId, dimension)) : null;
            hours.Add(StatsFields.Read(
                DateTimeOffset.FromUnixTimeSeconds(hour * 3600),
                [.. fields.Select(f => hash?.GetValueOrDefault(f) ?? 0)]));
        }

        return hours;
    }

    public void ForgetExpired(DateTimeOffset now)
    {
        while (_byHour.Count > 0 && DateTimeOffset.FromUnixTimeSeconds((_byHour.Keys.First() + 1) * 3600) + StatsLimits.Retention <= now)
        {
            _byHour.Remove(_byHour.Keys.First());
        }
    }

    private Dictionary<string, long> Hash(long hour, string account, string dimension)
    {
        if (!_byHour.TryGetValue(hour, out var hashes))
        {
            _byHour[hour] = hashes = [];
        }

        if (!hashes.TryGetValue((account, dimension), out var hash))
        {
            hashes[(account, dimension)] = hash = new Dictionary<string, long>(StringComparer.Ordinal);
        }

        return hash;
    }

    /// <summary>As the script's <c>stats_add</c>: a new name past the cap is counted as <see cref="StatsLimits.Other"/>.</summary>
    private static void Add(Dictionary<string, long> hash, string name, IReadOnlyList<string> suffixes)
    {
        if (name.Length > 0 && !hash.ContainsKey(StatsFields.Field(name, suffixes[0])) && hash.Count >= StatsLimits.MaxFieldsPerHour)
        {
            name = StatsLimits.Other;
        }

        foreach (var suffix in suffixes)
        {
            var field = StatsFields.Field(name, suffix);
            hash[field] = hash.GetValueOrDefault(field) + 1;
        }
    }
}
