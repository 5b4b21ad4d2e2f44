using SendApi.Core.Messages.Stats;

namespace SendApi.Storage;

/// <summary>
/// How both stores name an hour's counters: in the totals, the event type (<c>delivered</c>) and
/// the latency bucket (<c>lat:3</c>); per tag or domain, the same behind the name and a bar
/// (<c>orders|delivered</c>). The Redis scripts are generated from these names.
/// </summary>
internal static class StatsFields
{
    public const string Separator = "|";

    public static string Latency(int bucket) => $"lat:{bucket}";

    /// <summary>The field names one counted event increments in a hash of <paramref name="name"/> ('' for the totals).</summary>
    public static string Field(string name, string suffix) => name.Length == 0 ? suffix : name + Separator + suffix;

    /// <summary>The fields a query reads from one hour's hash, in <see cref="Read"/>'s order.</summary>
    public static IReadOnlyList<string> Wanted(string name) =>
        [.. StatsEvents.Counted.Select(t => Field(name, t)), .. Enumerable.Range(0, LatencyHistogram.Count).Select(b => Field(name, Latency(b)))];

    /// <summary>One hour's stats from the values of <see cref="Wanted"/>'s fields (missing ones are 0).</summary>
    public static HourStats Read(DateTimeOffset start, IReadOnlyList<long> values)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < StatsEvents.Counted.Count; i++)
        {
            counts[StatsEvents.Counted[i]] = values[i];
        }

        return new HourStats(start, counts, [.. values.Skip(StatsEvents.Counted.Count)]);
    }

    /// <summary>The suffixes one event increments: its type, and for a delivery its latency bucket.</summary>
    public static IEnumerable<string> Suffixes(string type, long? latencyMs)
    {
        yield return type;
        if (type == Core.Messages.MessageEventTypes.Delivered && latencyMs is { } ms)
        {
            yield return Latency(LatencyHistogram.BucketOf(ms));
        }
    }
}
