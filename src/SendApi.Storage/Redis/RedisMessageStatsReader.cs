using SendApi.Core.Messages.Stats;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>Reads the counters of <see cref="RedisStatsCounters"/>: one HMGET per hour, pipelined in one batch.</summary>
internal sealed class RedisMessageStatsReader(IConnectionMultiplexer redis, RedisKeys keys) : IMessageStats
{
    public async Task<IReadOnlyList<HourStats>> ReadAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        var (suffix, name) = query switch
        {
            { Tag: { } tag } => (RedisKeys.StatsTagSuffix, tag),
            { Domain: { } domain } => (RedisKeys.StatsDomainSuffix, domain),
            _ => ("", ""),
        };
        RedisValue[] fields = [.. StatsFields.Wanted(name).Select(f => (RedisValue)f)];
        var first = StatsEvents.HourOf(query.Start);
        var end = StatsEvents.HourOf(query.End);

        var batch = redis.GetDatabase().CreateBatch();
        var reads = new List<(long Hour, Task<RedisValue[]> Values)>();
        for (var hour = first; hour < end; hour++)
        {
            reads.Add((hour, batch.HashGetAsync(keys.Stats(query.AccountId, hour) + suffix, fields, RedisReads.Primary)));
        }

        batch.Execute();
        var hours = new List<HourStats>(reads.Count);
        foreach (var (hour, values) in reads)
        {
            hours.Add(StatsFields.Read(
                DateTimeOffset.FromUnixTimeSeconds(hour * 3600),
                [.. (await values).Select(v => v.IsNull ? 0L : (long)v)]));
        }

        return hours;
    }
}
