using Microsoft.Extensions.Logging.Abstractions;
using SendApi.Core.Inbound;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Webhooks;
using SendApi.Storage.Redis;
using StackExchange.Redis;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// Data the previous version left in Redis keeps working after an upgrade. Each test writes the
/// previous version's records with plain Redis commands, as it stored them (a message hash with
/// <c>env</c> and <c>r:{i}</c> JSON only: no <c>account</c> field, no <c>s:{i}</c> status fields),
/// then works on them through this version's stores.
/// </summary>
public sealed class RedisUpgradeTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    // JSON exactly as the previous version wrote it.
    private const string QueuedJson = """{"status":"queued","attempts":0,"next_attempt_at":"2026-11-22T12:00:00+00:00","updated_at":"2026-11-22T12:00:00+00:00"}""";
    private const string SendingJson = """{"status":"sending","attempts":1,"updated_at":"2026-11-22T12:00:01+00:00"}""";
    private const string BouncedJson = """{"status":"bounced","attempts":1,"last_reply":{"code":550,"enhanced_code":"5.1.1","text":"User unknown","is_positive":false,"is_transient":false,"is_permanent":true},"updated_at":"2026-11-22T12:00:02+00:00"}""";
    private const string QueuedEventJson = """{"type":"queued","at":"2026-11-22T12:00:00+00:00","detail":"2 recipient(s)"}""";

    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    private IDatabase Db => redis.Connection.GetDatabase();

    private RedisMessageStore Store => new(redis.Connection, _keys);

    private static string EnvelopeJson(string id, string account) =>
        $$"""{"id":"{{id}}","account_id":"{{account}}","sender":"a@acme.test","from":"A \u003Ca@acme.test\u003E","subject":"s","recipients":[{"address":"r0@example.test","kind":"to","domain":"example.test"},{"address":"r1@example.test","kind":"cc","domain":"example.test"}],"tags":["orders"],"metadata":{"order_id":"42"},"created_at":"2026-11-22T12:00:00+00:00","message_id_header":"{{id}}@sendapi.test","size":3}""";

    /// <summary>A message the previous version accepted and was delivering, held by <paramref name="claim"/> until <paramref name="leaseUntil"/>.</summary>
    private async Task<string> WritePreviousVersionMessageAsync(string account, string r0, string r1, string claim, DateTimeOffset leaseUntil)
    {
        var id = MessageIds.New();
        await Db.ExecuteAsync("HSET", _keys.Message(id), "env", EnvelopeJson(id, account), "r:0", r0, "r:1", r1);
        await Db.ExecuteAsync("RPUSH", _keys.Events(id), QueuedEventJson);
        await Db.ExecuteAsync("SET", _keys.Mime(id), "abc");
        await Db.ExecuteAsync("ZADD", _keys.Due, leaseUntil.ToUnixTimeMilliseconds(), id);
        await Db.ExecuteAsync("HSET", _keys.Claims, id, claim);
        return id;
    }

    [Fact]
    public async Task A_message_a_dead_worker_of_the_previous_version_held_is_claimed_again_delivered_and_finished()
    {
        var id = await WritePreviousVersionMessageAsync("acct", QueuedJson, SendingJson, "old-worker", T0.AddMinutes(2));
        var store = Store;

        Assert.Contains(id, await store.ClaimDueAsync("new-worker", T0.AddMinutes(3), 100, T0.AddMinutes(5), default));
        var work = (await store.LoadAsync(id, default))!;
        Assert.Equal("acct", work.Envelope.AccountId);
        Assert.Equal(["orders"], work.Envelope.Tags);
        Assert.Equal([RecipientStatus.Queued, RecipientStatus.Sending], work.Recipients.Select(r => r.Status));
        Assert.Equal("abc"u8.ToArray(), work.Mime.ToArray());
        Assert.True(work.Variants.IsEmpty);

        var delivered = new RecipientState(RecipientStatus.Delivered, 2, new SmtpReply(250, "2.0.0", "ok"), null, T0.AddMinutes(3));
        Assert.True(await store.UpdateRecipientsAsync("new-worker", id, [new RecipientUpdate(0, delivered with { Status = RecipientStatus.Sending })], default));
        await store.CompleteAsync("new-worker", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)],
            [new MessageEvent(MessageEventTypes.Delivered, T0.AddMinutes(3), "r0@example.test", "250")], null, null, default);

        var stored = (await store.FindAsync(id, default))!;
        Assert.Equal(MessageStatus.Delivered, MessageStatus.Of(stored.Recipients));
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Delivered], stored.Events.Select(e => e.Type));
        Assert.True((await store.LoadAsync(id, default))!.Mime.IsEmpty);
        Assert.False(await Db.KeyExistsAsync(_keys.Mime(id)));
        Assert.Null(await store.NextDueAsync(default));
        Assert.NotNull(await Db.KeyTimeToLiveAsync(_keys.Message(id)));
    }

    [Fact]
    public async Task A_bounce_the_previous_version_recorded_is_not_overwritten_by_the_attempt_still_holding_the_message()
    {
        // The previous version recorded the DSN (r:0 bounced, no status field) while this attempt held the message.
        var id = await WritePreviousVersionMessageAsync("acct", BouncedJson, SendingJson, "c1", T0.AddMinutes(2));
        var store = Store;

        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        Assert.True(await store.UpdateRecipientsAsync("c1", id, [new RecipientUpdate(0, delivered with { Status = RecipientStatus.Sending })], default));
        await store.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)], [], null, null, default);

        var stored = (await store.FindAsync(id, default))!;
        Assert.Equal([RecipientStatus.Bounced, RecipientStatus.Delivered], stored.Recipients.Select(r => r.Status));
        Assert.Equal("User unknown", stored.Recipients[0].LastReply!.Text);
    }

    [Fact]
    public async Task Events_of_a_message_the_previous_version_stored_reach_the_webhook_outbox()
    {
        var id = await WritePreviousVersionMessageAsync("hooked", QueuedJson, QueuedJson, "c1", T0.AddMinutes(2));
        var store = Store;
        await new RedisWebhookStore(redis.Connection, _keys).CreateAsync(
            new Webhook($"wh_{Guid.NewGuid():N}", "hooked", "https://hooks.example.com/x", [WebhookEventTypes.MessageDelivered], T0, "whsec_AAAA"), default);

        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0);
        await store.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)],
            [new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250")], null, null, default);
        Assert.True(await store.RecordAsync(id, [], [new MessageEvent(MessageEventTypes.Complained, T0.AddMinutes(5), "r0@example.test", "feedback: abuse")], default));

        var events = await Outbox().ReadAsync("d1", 10, default);
        Assert.Equal([WebhookEventTypes.MessageDelivered, WebhookEventTypes.MessageComplained], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("hooked", e.AccountId));
        var data = Assert.IsType<MessageEventData>(events[0].Data);
        Assert.Equal(id, data.MessageId);
        Assert.Equal("42", data.Metadata["order_id"]);
    }

    [Fact]
    public async Task Outbox_entries_and_idempotency_keys_the_previous_version_wrote_are_read()
    {
        var messageId = MessageIds.New();
        var inbound = InboundIds.New(T0);
        await Db.ExecuteAsync("XADD", _keys.WebhookOutbox, "*", "account", "acct", "env", EnvelopeJson(messageId, "acct"), "event", QueuedEventJson);
        // The mail's JSON is that of InboundEmail, unchanged; what is pinned here is the entry's fields.
        await Db.ExecuteAsync("XADD", _keys.WebhookOutbox, "*", "account", "acct", "inbound",
            $$"""{"id":"{{inbound}}","account_id":"acct","received_at":"2026-11-22T12:00:00+00:00","subject":"hello","headers":[],"attachments":[],"size":42}""");
        await Db.ExecuteAsync("SET", _keys.Idempotency("acct", "order-42"), messageId, "EX", "3600");

        var events = await Outbox().ReadAsync("d1", 10, default);
        var replay = await Store.AcceptAsync(new NewMessage(
            new MessageEnvelope(MessageIds.New(), "acct", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("r0@example.test", RecipientKind.To)],
                [], new Dictionary<string, string>(), T0, "x@sendapi.test", 3),
            "abc"u8.ToArray(), "order-42"), default);

        Assert.Equal([WebhookEventTypes.MessageQueued, WebhookEventTypes.InboundReceived], events.Select(e => e.Type));
        Assert.Equal(messageId, Assert.IsType<MessageEventData>(events[0].Data).MessageId);
        Assert.Equal("hello", Assert.IsType<InboundEmail>(events[1].Data).Subject);
        Assert.Equal(new AcceptResult(messageId, Replayed: true), replay);
    }

    [Fact]
    public async Task A_message_of_the_previous_version_is_not_searchable_and_its_later_events_are_counted_without_tags_or_latency()
    {
        var id = await WritePreviousVersionMessageAsync("acct", QueuedJson, QueuedJson, "old-worker", T0.AddMinutes(2));
        var store = Store;
        await store.ClaimDueAsync("new-worker", T0.AddMinutes(3), 100, T0.AddMinutes(5), default);
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, "2.0.0", "ok"), null, T0.AddMinutes(3));
        await store.CompleteAsync("new-worker", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)],
            [new MessageEvent(MessageEventTypes.Delivered, T0.AddMinutes(3), "r0@example.test", "ok"), new MessageEvent(MessageEventTypes.Delivered, T0.AddMinutes(3), "r1@example.test", "ok")],
            null, null, default);

        Assert.Equal(MessageStatus.Delivered, MessageStatus.Of((await store.FindAsync(id, default))!.Recipients));
        Assert.Empty((await new RedisMessageSearch(redis.Connection, _keys).SearchAsync(new MessageQuery("acct"), default)).Items);
        var stats = new RedisMessageStatsReader(redis.Connection, _keys);
        var hour = Assert.Single(await stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(1)), default));
        Assert.Equal(2, hour.Counts[MessageEventTypes.Delivered]);
        Assert.Equal(0, hour.Latency.Sum());
        Assert.Equal(2, Assert.Single(await stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(1), Domain: "example.test"), default)).Counts[MessageEventTypes.Delivered]);
        Assert.Equal(0, Assert.Single(await stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(1), Tag: "orders"), default)).Counts[MessageEventTypes.Delivered]);
    }

    private RedisWebhookOutbox Outbox() => new(redis.Connection, _keys, NullLogger<RedisWebhookOutbox>.Instance);
}
