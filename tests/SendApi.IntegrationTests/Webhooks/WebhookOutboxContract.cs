using SendApi.Core.Messages;
using SendApi.Core.Webhooks;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>
/// The outbox as both storage modes must keep it: written by the message store in the same step as
/// the timeline, only for accounts with an endpoint, and handed out at least once.
/// </summary>
public abstract class WebhookOutboxContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract (IMessageStore Messages, IDeliveryQueue Queue, IWebhookStore Webhooks, IWebhookOutbox Outbox) CreateStores();

    protected static NewMessage Message(string account, string? idempotencyKey = null)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, account, "a@acme.test", "A <a@acme.test>", "subject", [new RecipientAddress("r0@example.test", RecipientKind.To)],
            ["orders"], new Dictionary<string, string> { ["order_id"] = "42" }, T0, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "abc"u8.ToArray(), idempotencyKey);
    }

    private static Webhook Hook(string account) =>
        new($"wh_{Guid.NewGuid():N}", account, "https://hooks.example.com/x", ["message.delivered"], T0, "whsec_AAAA");

    private static MessageEvent Delivered(DateTimeOffset at) =>
        new(MessageEventTypes.Delivered, at, "r0@example.test", "250 ok", new SmtpReply(250, "2.0.0", "ok"), "mx[127.0.0.2]:25");

    protected static async Task CompleteAsync(IDeliveryQueue queue, string id, string claim, params MessageEvent[] events)
    {
        await queue.ClaimDueAsync(claim, T0, 100, T0.AddMinutes(2), default);
        await queue.CompleteAsync(claim, id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0))], events, null, null, default);
    }

    [Fact]
    public async Task Events_of_an_account_without_endpoints_never_reach_the_outbox()
    {
        var (messages, queue, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("someone-else"), default);
        var id = (await messages.AcceptAsync(Message("quiet"), default)).Id;
        await CompleteAsync(queue, id, "c1", Delivered(T0));

        Assert.Empty(await outbox.ReadAsync("d1", 100, default));
        // The timeline is unaffected.
        Assert.Equal([MessageEventTypes.Queued, MessageEventTypes.Delivered], (await messages.FindAsync(id, default))!.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task Every_timeline_event_of_an_account_with_an_endpoint_reaches_the_outbox_with_tags_and_metadata()
    {
        var (messages, queue, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("loud"), default);
        var id = (await messages.AcceptAsync(Message("loud"), default)).Id;
        await CompleteAsync(queue, id, "c1", Delivered(T0.AddSeconds(1)), new MessageEvent(MessageEventTypes.Failed, T0.AddSeconds(2), "r1@example.test", "550"));

        var events = await outbox.ReadAsync("d1", 100, default);

        Assert.Equal(["message.queued", "message.delivered", "message.failed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("loud", e.AccountId));
        Assert.Equal(3, events.Select(e => e.Id).Distinct().Count());
        var delivered = Assert.IsType<MessageEventData>(events[1].Data);
        Assert.Equal(id, delivered.MessageId);
        Assert.Equal("r0@example.test", delivered.Recipient);
        Assert.Equal(250, delivered.SmtpCode);
        Assert.Equal(["orders"], delivered.Tags);
        Assert.Equal("42", delivered.Metadata["order_id"]);
        Assert.Equal(T0.AddSeconds(1), events[1].CreatedAt);
    }

    [Fact]
    public async Task A_stale_claim_still_sends_its_events_and_a_replayed_accept_sends_nothing()
    {
        var (messages, queue, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("acct"), default);
        var message = Message("acct", idempotencyKey: Guid.NewGuid().ToString());
        var id = (await messages.AcceptAsync(message, default)).Id;
        Assert.True((await messages.AcceptAsync(Message("acct", message.IdempotencyKey), default)).Replayed);
        await queue.ClaimDueAsync("old", T0, 100, T0.AddMinutes(2), default);
        await queue.ClaimDueAsync("new", T0.AddMinutes(3), 100, T0.AddMinutes(5), default);

        await queue.CompleteAsync("old", id, [], [new MessageEvent(MessageEventTypes.Deferred, T0, "r0@example.test", "451")], T0.AddHours(1), null, default);

        Assert.Equal(["message.queued", "message.deferred"], (await outbox.ReadAsync("d1", 100, default)).Select(e => e.Type));
    }

    [Fact]
    public async Task Events_recorded_later_on_a_message_reach_the_outbox_like_an_attempts_events()
    {
        var (messages, queue, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("loud"), default);
        var id = (await messages.AcceptAsync(Message("loud"), default)).Id;
        await CompleteAsync(queue, id, "c1", Delivered(T0.AddSeconds(1)));

        Assert.True(await messages.RecordAsync(id, [], [new MessageEvent(MessageEventTypes.Complained, T0.AddMinutes(5), "r0@example.test", "feedback: abuse")], default));

        var events = await outbox.ReadAsync("d1", 100, default);
        Assert.Equal(["message.queued", "message.delivered", "message.complained"], events.Select(e => e.Type));
        var complained = Assert.IsType<MessageEventData>(events[2].Data);
        Assert.Equal(id, complained.MessageId);
        Assert.Equal("r0@example.test", complained.Recipient);
        Assert.Equal(["orders"], complained.Tags);
        Assert.Equal("loud", events[2].AccountId);
    }

    [Fact]
    public async Task An_event_is_handed_out_once_and_leaves_when_acknowledged()
    {
        var (messages, _, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("acct"), default);
        await messages.AcceptAsync(Message("acct"), default);
        await messages.AcceptAsync(Message("acct"), default);

        var first = await outbox.ReadAsync("d1", 1, default);
        var second = await outbox.ReadAsync("d2", 10, default);
        Assert.Single(first);
        Assert.Single(second);
        Assert.NotEqual(first[0].Id, second[0].Id);
        Assert.Empty(await outbox.ReadAsync("d1", 10, default));

        await outbox.AcknowledgeAsync([first[0].Id, second[0].Id], default);
        Assert.Empty(await outbox.ClaimAbandonedAsync("d3", TimeSpan.Zero, 10, default));
    }

    [Fact]
    public async Task Events_a_dispatcher_left_unacknowledged_are_taken_over_once_idle_long_enough()
    {
        var (messages, _, webhooks, outbox) = CreateStores();
        await webhooks.CreateAsync(Hook("acct"), default);
        await messages.AcceptAsync(Message("acct"), default);
        var taken = Assert.Single(await outbox.ReadAsync("dead", 10, default));

        Assert.Empty(await outbox.ClaimAbandonedAsync("alive", TimeSpan.FromHours(1), 10, default));
        var claimed = Assert.Single(await outbox.ClaimAbandonedAsync("alive", TimeSpan.Zero, 10, default));

        Assert.Equal(taken.Id, claimed.Id);
        Assert.Equal(taken.Type, claimed.Type);
        await outbox.AcknowledgeAsync([claimed.Id], default);
        Assert.Empty(await outbox.ClaimAbandonedAsync("alive", TimeSpan.Zero, 10, default));
    }

    [Fact]
    public async Task Deleting_the_last_endpoint_stops_the_outbox_writes()
    {
        var (messages, _, webhooks, outbox) = CreateStores();
        var first = Hook("acct");
        var second = Hook("acct");
        await webhooks.CreateAsync(first, default);
        await webhooks.CreateAsync(second, default);

        await webhooks.DeleteAsync("acct", first.Id, default);
        await messages.AcceptAsync(Message("acct"), default);
        Assert.Single(await outbox.ReadAsync("d1", 10, default));

        await webhooks.DeleteAsync("acct", second.Id, default);
        await messages.AcceptAsync(Message("acct"), default);
        Assert.Empty(await outbox.ReadAsync("d1", 10, default));
    }
}
