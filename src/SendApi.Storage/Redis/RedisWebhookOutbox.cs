using Microsoft.Extensions.Logging;
using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Core.Webhooks;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The outbox as a Redis stream that the message and inbound scripts append to (entries as in
/// <see cref="RedisOutboxEntries"/>), read through one
/// consumer group shared by every instance's dispatcher: XREADGROUP hands each entry to one of
/// them, XAUTOCLAIM moves entries a dead instance left pending to a live one, and an acknowledged
/// entry is deleted so the stream only holds work in flight.
/// </summary>
internal sealed partial class RedisWebhookOutbox(IConnectionMultiplexer redis, RedisKeys keys, ILogger<RedisWebhookOutbox> logger) : IWebhookOutbox
{
    public const string Group = "dispatchers";

    // XAUTOCLAIM pages through the pending list; a few pages find what is idle without scanning it all each time.
    private const int ClaimPages = 10;

    private static readonly TimeSpan ConsumerRetention = TimeSpan.FromDays(1);

    private volatile bool _groupExists;

    private IDatabase Db => redis.GetDatabase();

    public Task<IReadOnlyList<WebhookEvent>> ReadAsync(string consumer, int max, CancellationToken cancellationToken) =>
        WithGroupAsync(async db => Parse(db, await db.StreamReadGroupAsync(keys.WebhookOutbox, Group, consumer, StreamPosition.NewMessages, max)));

    public Task<IReadOnlyList<WebhookEvent>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int max, CancellationToken cancellationToken) =>
        WithGroupAsync(async db =>
        {
            var claimed = new List<StreamEntry>();
            RedisValue start = "0-0";
            for (var page = 0; page < ClaimPages && claimed.Count < max; page++)
            {
                var result = await db.StreamAutoClaimAsync(keys.WebhookOutbox, Group, consumer, (long)minIdle.TotalMilliseconds, start, max - claimed.Count);
                claimed.AddRange(result.ClaimedEntries.Where(e => !e.IsNull));
                start = result.NextStartId;
                if (start == "0-0")
                {
                    break;
                }
            }

            if (claimed.Count < max)
            {
                await ForgetIdleConsumersAsync(db);
            }

            return Parse(db, [.. claimed]);
        });

    public async Task AcknowledgeAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        RedisValue[] values = [.. ids.Select(id => (RedisValue)id)];
        var db = Db;
        var ack = db.StreamAcknowledgeAsync(keys.WebhookOutbox, Group, values);
        var delete = db.StreamDeleteAsync(keys.WebhookOutbox, values);
        await Task.WhenAll(ack, delete);
    }

    // XREADGROUP has no place on a multiplexed connection (BLOCK would stall every caller), so the dispatcher polls.
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.Delay(timeout, cancellationToken);

    private async Task<IReadOnlyList<WebhookEvent>> WithGroupAsync(Func<IDatabase, Task<IReadOnlyList<WebhookEvent>>> read)
    {
        var db = Db;
        if (!_groupExists)
        {
            await CreateGroupAsync(db);
        }

        try
        {
            return await read(db);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // The stream was deleted under us (FLUSHALL, a restore): recreate the group and read again.
            await CreateGroupAsync(db);
            return await read(db);
        }
    }

    /// <summary>
    /// Every process start adds a consumer name to the group; those with nothing pending are dropped
    /// after a day. That loses nothing: a live consumer that reads again is simply recreated.
    /// </summary>
    private async Task ForgetIdleConsumersAsync(IDatabase db)
    {
        foreach (var consumer in await db.StreamConsumerInfoAsync(keys.WebhookOutbox, Group, RedisReads.Primary))
        {
            if (consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > (long)ConsumerRetention.TotalMilliseconds)
            {
                await db.StreamDeleteConsumerAsync(keys.WebhookOutbox, Group, consumer.Name);
            }
        }
    }

    private async Task CreateGroupAsync(IDatabase db)
    {
        try
        {
            // From the stream's start, not its end: entries written before the group existed are delivered too.
            await db.StreamCreateConsumerGroupAsync(keys.WebhookOutbox, Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }

        _groupExists = true;
    }

    private IReadOnlyList<WebhookEvent> Parse(IDatabase db, StreamEntry[] entries)
    {
        var events = new List<WebhookEvent>(entries.Length);
        foreach (var entry in entries)
        {
            try
            {
                if (entry[RedisOutboxEntries.Inbound] is { IsNull: false } inbound)
                {
                    events.Add(WebhookEvent.ForInbound(entry.Id!, StorageJson.Deserialize<InboundEmail>(inbound!)));
                    continue;
                }

                var envelope = StorageJson.Deserialize<MessageEnvelope>(entry[RedisOutboxEntries.Envelope]!);
                var e = StorageJson.Deserialize<MessageEvent>(entry[RedisOutboxEntries.Event]!);
                events.Add(WebhookEvent.ForMessage(entry.Id!, envelope, e));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or ArgumentNullException)
            {
                // An entry that cannot be read never will be: drop it rather than retry it forever.
                LogUnreadable(logger, ex, entry.Id!);
                _ = db.StreamAcknowledgeAsync(keys.WebhookOutbox, Group, entry.Id, CommandFlags.FireAndForget);
                _ = db.StreamDeleteAsync(keys.WebhookOutbox, [entry.Id], CommandFlags.FireAndForget);
            }
        }

        return events;
    }

    // Log event ids 6100–6199 (SendApi.Storage's range is 6000–6999, see docs/logging.md); next free: 6102.
    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "Webhook outbox entry {EntryId} cannot be read and is dropped")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string entryId);
}
