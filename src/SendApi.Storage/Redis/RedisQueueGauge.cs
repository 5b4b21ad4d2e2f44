using System.Diagnostics;
using SendApi.Core.Diagnostics;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The queue gauges' reading from the <c>due</c> sorted set: its size, how many are due now, and
/// the earliest score, as three O(log n) commands sent together (one round trip, timed).
/// Claimed messages are scored at their lease's end, in the future, so "due" means unclaimed.
/// </summary>
internal sealed class RedisQueueGauge(IConnectionMultiplexer redis, RedisKeys keys) : IQueueGauge
{
    public async Task<QueueReading> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var batch = redis.GetDatabase().CreateBatch();
        var started = Stopwatch.GetTimestamp();
        var depth = batch.SortedSetLengthAsync(keys.Due, flags: RedisReads.Primary);
        var due = batch.SortedSetLengthAsync(keys.Due, double.NegativeInfinity, nowMs, flags: RedisReads.Primary);
        var first = batch.SortedSetRangeByRankWithScoresAsync(keys.Due, 0, 0, flags: RedisReads.Primary);
        batch.Execute();
        await Task.WhenAll(depth, due, first);
        var roundTrip = Stopwatch.GetElapsedTime(started);

        var earliest = (await first) is [var entry, ..] ? (long?)entry.Score : null;
        var oldest = earliest is { } score && score <= nowMs ? TimeSpan.FromMilliseconds(nowMs - score) : TimeSpan.Zero;
        return new QueueReading(await depth, await due, oldest, roundTrip);
    }
}
