using System.Globalization;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Queue;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The queue view on Redis. The totals are one script call; the per-domain figures read the first
/// entries of the <c>due</c> sorted set by due time and their message hashes (no MIME), pipelined,
/// so the delivery path keeps no counters for a page that is rarely open. Actions are one script
/// call per message (<see cref="RedisQueueScripts"/>). Recent failures are a capped list,
/// <c>queue:failures</c>, written after the state change that made them.
/// </summary>
internal sealed class RedisQueueView(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time) : IQueueView
{
    private const int CancelAttempts = 3;

    private static readonly long RetentionSeconds = (long)MessageLifetimes.Retention.TotalSeconds;

    private IDatabase Db => redis.GetDatabase();

    private string Failures => keys.Prefix + "queue:failures";

    private sealed record Scanned(QueueEntry Entry, HashEntry[] Fields);

    public async Task<QueueSnapshot> SnapshotAsync(DateTimeOffset now, int scanLimit, CancellationToken cancellationToken)
    {
        var (messages, dueNow, inFlight, scanned) = await ScanAsync(now, scanLimit);
        return QueueSnapshot.Of(now, messages, dueNow, inFlight, [.. scanned.Select(s => s.Entry)]);
    }

    public async Task<IReadOnlyDictionary<string, DomainSlowdown>> SlowdownsAsync(IReadOnlyCollection<string> domains, CancellationToken cancellationToken)
    {
        var db = Db;
        var reads = domains.Distinct(StringComparer.Ordinal)
            .Select(d => (Domain: d, Factor: db.StringGetAsync(keys.ThrottleBackoff(d), flags: RedisReads.Primary), Ttl: db.KeyTimeToLiveAsync(keys.ThrottleBackoff(d), flags: RedisReads.Primary)))
            .ToList();
        await Task.WhenAll(reads.SelectMany(r => new Task[] { r.Factor, r.Ttl }));
        var now = time.GetUtcNow();
        return reads
            .Where(r => !r.Factor.Result.IsNull && r.Ttl.Result is not null
                && double.TryParse((string?)r.Factor.Result, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            .ToDictionary(
                r => r.Domain,
                r => new DomainSlowdown(double.Parse((string)r.Factor.Result!, CultureInfo.InvariantCulture), now + r.Ttl.Result!.Value),
                StringComparer.Ordinal);
    }

    public async Task<int> RetryDomainNowAsync(string domain, DateTimeOffset now, int scanLimit, CancellationToken cancellationToken)
    {
        var (_, _, _, scanned) = await ScanAsync(now, scanLimit);
        var retried = 0;
        foreach (var (entry, fields) in scanned)
        {
            var updates = QueueRules.RetryNow(entry, domain, now);
            if (updates.Count == 0)
            {
                continue;
            }

            var args = new List<RedisValue> { entry.Envelope.Id, now.ToUnixTimeMilliseconds() };
            AddStoredStates(args, fields, entry.Recipients.Count);
            AddUpdates(args, updates);
            if ((int)await Db.ScriptEvaluateAsync(RedisQueueScripts.RetryNow, [keys.Message(entry.Envelope.Id), keys.Due, keys.Claims], [.. args]) == 1)
            {
                retried++;
            }
        }

        return retried;
    }

    public async Task<CancelResult> CancelAsync(string id, DateTimeOffset now, string detail, CancellationToken cancellationToken)
    {
        // "changed" means a bounce or an attempt was recorded between the read and the script: read again.
        for (var attempt = 0; attempt < CancelAttempts; attempt++)
        {
            var fields = await Db.HashGetAllAsync(keys.Message(id), flags: RedisReads.Primary);
            if (!RedisMessageStore.TryRead(fields, out var envelope, out var recipients, out _))
            {
                return CancelResult.NotFound;
            }

            var (updates, events) = QueueRules.Cancel(envelope, recipients, now, detail);
            var args = new List<RedisValue>
            {
                id, now.ToUnixTimeMilliseconds(), RetentionSeconds,
                keys.Prefix, RedisSearchIndex.Horizon(now), RedisSearchIndex.LifetimeSeconds, RedisStatsCounters.RetentionSeconds,
            };
            AddStoredStates(args, fields, recipients.Length);
            var counts = new List<RedisValue>();
            RedisStatsCounters.Add(counts, StatsEvents.Of(events));
            args.Add(events.Count);
            args.Add(counts.Count);
            args.AddRange(events.Select(e => (RedisValue)StorageJson.Serialize(e)));
            args.AddRange(counts);
            AddUpdates(args, updates);
            var result = (string?)await Db.ScriptEvaluateAsync(
                RedisQueueScripts.Cancel,
                [keys.Message(id), keys.Events(id), keys.Due, keys.Claims, keys.Mime(id), keys.Variants(id), keys.WebhookAccounts, keys.WebhookOutbox, keys.Accepted(id)],
                [.. args]);
            switch (result)
            {
                case "cancelled":
                    return CancelResult.Cancelled;
                case "not_found":
                    return CancelResult.NotFound;
                case "finished":
                    return CancelResult.AlreadyFinished;
                case "in_flight":
                    return CancelResult.InFlight;
            }
        }

        // Still changing under us: a delivery is recording right now, which is what "in flight" tells the operator.
        return CancelResult.InFlight;
    }

    public async Task NoteFailuresAsync(string id, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
    {
        var failures = events.Where(QueueRules.IsFailure).Select(e => (RedisValue)StorageJson.Serialize(new RecentFailure(id, e))).ToArray();
        if (failures.Length == 0)
        {
            return;
        }

        var batch = Db.CreateBatch();
        var push = batch.ListLeftPushAsync(Failures, failures);
        var trim = batch.ListTrimAsync(Failures, 0, QueueRules.RecentFailuresKept - 1);
        batch.Execute();
        await Task.WhenAll(push, trim);
    }

    public async Task<IReadOnlyList<RecentFailure>> RecentFailuresAsync(int max, CancellationToken cancellationToken)
    {
        var items = await Db.ListRangeAsync(Failures, 0, Math.Max(0, max - 1), flags: RedisReads.Primary);
        return [.. items.Select(i => StorageJson.Deserialize<RecentFailure>(i!))];
    }

    private async Task<(int Messages, int DueNow, int InFlight, List<Scanned> Scanned)> ScanAsync(DateTimeOffset now, int scanLimit)
    {
        var db = Db;
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(RedisQueueScripts.Snapshot, [keys.Due, keys.Claims], [now.ToUnixTimeMilliseconds(), Math.Max(1, scanLimit)]))!;
        var inFlight = ((RedisResult[])result[2]!).Select(r => (string)r!).ToHashSet(StringComparer.Ordinal);
        var first = (RedisResult[])result[3]!;
        var due = new List<(string Id, DateTimeOffset Due)>();
        for (var i = 0; i + 1 < first.Length && scanLimit > 0; i += 2)
        {
            due.Add(((string)first[i]!, DateTimeOffset.FromUnixTimeMilliseconds((long)(double)first[i + 1])));
        }

        // Fired together, the reads go out pipelined on the one connection.
        var hashes = due.Select(d => db.HashGetAllAsync(keys.Message(d.Id), flags: RedisReads.Primary)).ToList();
        await Task.WhenAll(hashes);
        var scanned = new List<Scanned>(due.Count);
        for (var i = 0; i < due.Count; i++)
        {
            // A message finished between the two reads has no record left to show.
            if (RedisMessageStore.TryRead(hashes[i].Result, out var envelope, out var recipients, out _))
            {
                scanned.Add(new Scanned(new QueueEntry(envelope, recipients, due[i].Due, inFlight.Contains(due[i].Id)), hashes[i].Result));
            }
        }

        return ((int)result[0], (int)result[1], inFlight.Count, scanned);
    }

    /// <summary>Every recipient state field as stored, for the scripts to check that nothing changed since this read.</summary>
    private static void AddStoredStates(List<RedisValue> args, HashEntry[] fields, int recipients)
    {
        var byName = fields.ToDictionary(f => (string)f.Name!, f => f.Value, StringComparer.Ordinal);
        var stored = Enumerable.Range(0, recipients).Select(RedisMessageFields.State).Where(byName.ContainsKey).ToList();
        args.Add(stored.Count);
        foreach (var field in stored)
        {
            args.Add(field);
            args.Add(byName[field]);
        }
    }

    private static void AddUpdates(List<RedisValue> args, IReadOnlyList<RecipientUpdate> updates)
    {
        foreach (var update in updates)
        {
            RedisMessageFields.Add(args, update.Index, update.State);
        }
    }
}
