using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.Core.Webhooks;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Webhooks;

public sealed class InMemoryWebhookStoreTests : WebhookStoreContract
{
    protected override (IWebhookStore Webhooks, IWebhookDeliveryLog Log) CreateStore()
    {
        var store = new InMemoryWebhookStore();
        return (store, store);
    }
}

public sealed class RedisWebhookStoreTests(RedisServerFixture redis) : WebhookStoreContract, IClassFixture<RedisServerFixture>
{
    protected override (IWebhookStore Webhooks, IWebhookDeliveryLog Log) CreateStore()
    {
        var store = new RedisWebhookStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
        return (store, store);
    }
}

public sealed class InMemoryWebhookOutboxTests : WebhookOutboxContract
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores()
    {
        var time = new FakeTimeProvider(T0);
        var webhooks = new InMemoryWebhookStore();
        var outbox = new InMemoryWebhookOutbox(webhooks, time);
        var messages = new InMemoryMessageStore(time, outbox);
        return (messages, messages, webhooks, outbox);
    }
}

public sealed class RedisWebhookOutboxTests(RedisServerFixture redis) : WebhookOutboxContract, IClassFixture<RedisServerFixture>
{
    private RedisKeys _keys = null!;

    protected override (IMessageStore Messages, IDeliveryQueue Queue, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores()
    {
        _keys = new RedisKeys($"t{Guid.NewGuid():N}:");
        var messages = new RedisMessageStore(redis.Connection, _keys);
        return (messages, messages, new RedisWebhookStore(redis.Connection, _keys), new RedisWebhookOutbox(redis.Connection, _keys, NullLogger<RedisWebhookOutbox>.Instance));
    }

    [Fact]
    public async Task Without_any_endpoint_the_scripts_create_no_stream_at_all()
    {
        var (messages, queue, _, _) = CreateStores();
        var id = (await messages.AcceptAsync(Message("quiet"), default)).Id;
        await CompleteAsync(queue, id, "c1", new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250"));

        Assert.Equal(":0", await redis.Server.ExecuteAsync("EXISTS", _keys.WebhookOutbox));
    }

    [Fact]
    public async Task Acknowledged_entries_are_deleted_from_the_stream()
    {
        var (messages, _, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(new Webhook("wh_x", "acct", "https://h.example.com/", ["message.queued"], T0, "whsec_AAAA"), default);
        await messages.AcceptAsync(Message("acct"), default);
        Assert.Equal(":1", await redis.Server.ExecuteAsync("XLEN", _keys.WebhookOutbox));

        var events = await outbox.ReadAsync("d1", 10, default);
        await outbox.AcknowledgeAsync([.. events.Select(e => e.Id)], default);

        Assert.Equal(":0", await redis.Server.ExecuteAsync("XLEN", _keys.WebhookOutbox));
    }
}
