using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.Core.Suppressions;
using SendApi.Core.Webhooks;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Suppressions;

public sealed class InMemorySuppressionStoreTests : SuppressionStoreContract
{
    protected override ISuppressionStore CreateStore() => new InMemorySuppressionStore();
}

public sealed class RedisSuppressionStoreTests(RedisServerFixture redis) : SuppressionStoreContract, IClassFixture<RedisServerFixture>
{
    protected override ISuppressionStore CreateStore() => new RedisSuppressionStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
}

/// <summary>A "suppressed" event recorded at accept reaches webhooks like any other event.</summary>
public abstract class SuppressedEventOutboxContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract (IMessageStore Messages, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores();

    [Fact]
    public async Task The_suppressed_event_goes_to_the_outbox_after_queued()
    {
        var (messages, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(new Webhook($"wh_{Guid.NewGuid():N}", "loud", "https://hooks.example.com/x", [WebhookEventTypes.MessageSuppressed], T0, "whsec_AAAA"), default);
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "loud", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("gone@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), T0, $"{id}@sendapi.test", 3);
        await messages.AcceptAsync(new NewMessage(envelope, "abc"u8.ToArray(), null)
        {
            InitialStates = [new RecipientUpdate(0, new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0))],
            InitialEvents = [new MessageEvent(MessageEventTypes.Suppressed, T0, "gone@example.test", "On the suppression list: hard_bounce")],
        }, default);

        var events = await outbox.ReadAsync("d1", 100, default);

        Assert.Equal([WebhookEventTypes.MessageQueued, WebhookEventTypes.MessageSuppressed], events.Select(e => e.Type));
        var data = Assert.IsType<MessageEventData>(events[1].Data);
        Assert.Equal(id, data.MessageId);
        Assert.Equal("gone@example.test", data.Recipient);
        Assert.Contains("hard_bounce", data.Detail);
    }
}

public sealed class InMemorySuppressedEventOutboxTests : SuppressedEventOutboxContract
{
    protected override (IMessageStore Messages, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores()
    {
        var time = new FakeTimeProvider(T0);
        var webhooks = new InMemoryWebhookStore();
        var outbox = new InMemoryWebhookOutbox(webhooks, time);
        return (new InMemoryMessageStore(time, outbox), webhooks, outbox);
    }
}

public sealed class RedisSuppressedEventOutboxTests(RedisServerFixture redis) : SuppressedEventOutboxContract, IClassFixture<RedisServerFixture>
{
    protected override (IMessageStore Messages, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores()
    {
        var keys = new RedisKeys($"t{Guid.NewGuid():N}:");
        return (new RedisMessageStore(redis.Connection, keys), new RedisWebhookStore(redis.Connection, keys),
            new RedisWebhookOutbox(redis.Connection, keys, NullLogger<RedisWebhookOutbox>.Instance));
    }
}
