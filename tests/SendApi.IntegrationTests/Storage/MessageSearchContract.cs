using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// Search and stats as both storage modes must answer them: filters that combine, newest-first
/// pages with a cursor, a status filter that follows each step, one account never seeing another's,
/// and counters that agree with the events recorded.
/// </summary>
public abstract class MessageSearchContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected sealed record Stores(IMessageStore Messages, IDeliveryQueue Queue, IMessageSearch Search, IMessageStats Stats);

    protected abstract Stores CreateStores();

    private static NewMessage Message(
        DateTimeOffset createdAt, string account = "acct", string sender = "a@acme.test", string[]? to = null, string[]? tags = null, string? keyId = null)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, account, sender, $"A <{sender}>", $"subject {createdAt:HH:mm}",
            [.. (to ?? ["r0@example.test"]).Select(a => new RecipientAddress(a, RecipientKind.To))],
            tags ?? [], new Dictionary<string, string>(), createdAt, $"{id}@sendapi.test", 3) { KeyId = keyId };
        return new NewMessage(envelope, "abc"u8.ToArray(), null);
    }

    private static async Task<string> AcceptAsync(Stores stores, NewMessage message) => (await stores.Messages.AcceptAsync(message, default)).Id;

    private static async Task<List<MessageSummary>> AllPagesAsync(Stores stores, MessageQuery query)
    {
        var all = new List<MessageSummary>();
        string? cursor = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await stores.Search.SearchAsync(query with { Cursor = cursor }, default);
            all.AddRange(page.Items);
            if ((cursor = page.NextCursor) is null)
            {
                return all;
            }
        }

        throw new InvalidOperationException("The cursor never ended.");
    }

    private static RecipientState State(RecipientStatus status, DateTimeOffset at, int code = 250) =>
        new(status, 1, new SmtpReply(code, null, "reply"), status == RecipientStatus.Deferred ? at.AddMinutes(5) : null, at);

    [Fact]
    public async Task Messages_are_listed_newest_first_a_page_at_a_time_and_the_last_page_has_no_cursor()
    {
        var stores = CreateStores();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await AcceptAsync(stores, Message(T0.AddMinutes(i))));
        }

        var first = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 2), default);
        Assert.Equal([ids[4], ids[3]], first.Items.Select(m => m.Id));
        Assert.NotNull(first.NextCursor);
        var second = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 2, Cursor: first.NextCursor), default);
        Assert.Equal([ids[2], ids[1]], second.Items.Select(m => m.Id));
        var last = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 2, Cursor: second.NextCursor), default);
        Assert.Equal([ids[0]], last.Items.Select(m => m.Id));
        Assert.Null(last.NextCursor);

        var exact = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 5), default);
        Assert.Equal(5, exact.Items.Count);
        Assert.Null(exact.NextCursor);
    }

    [Fact]
    public async Task A_summary_carries_the_id_time_sender_subject_recipients_status_and_tags()
    {
        var stores = CreateStores();
        var id = await AcceptAsync(stores, Message(T0, to: ["Bob@Example.test", "carol@example.test"], tags: ["orders", "eu"]));

        var summary = Assert.Single((await stores.Search.SearchAsync(new MessageQuery("acct"), default)).Items);
        Assert.Equal(new MessageSummary(id, T0, "A <a@acme.test>", "subject 12:00", ["Bob@Example.test", "carol@example.test"], MessageStatus.Queued, ["orders", "eu"]),
            summary with { To = [.. summary.To], Tags = [.. summary.Tags] }, new SummaryComparer());
    }

    [Fact]
    public async Task Filters_on_recipient_tag_sender_and_time_combine()
    {
        var stores = CreateStores();
        var bobOrders = await AcceptAsync(stores, Message(T0, to: ["bob@example.test"], tags: ["orders"]));
        var bobNews = await AcceptAsync(stores, Message(T0.AddMinutes(1), to: ["carol@example.test", "BOB@example.test"], tags: ["news"]));
        var carolOrdersShop = await AcceptAsync(stores, Message(T0.AddMinutes(2), sender: "shop@acme.test", to: ["carol@example.test"], tags: ["orders", "eu"]));
        var bobOrdersLater = await AcceptAsync(stores, Message(T0.AddHours(2), to: ["bob@example.test"], tags: ["orders"]));

        async Task<IEnumerable<string>> Find(MessageQuery query) => (await AllPagesAsync(stores, query)).Select(m => m.Id);

        Assert.Equal([bobOrdersLater, bobNews, bobOrders], await Find(new MessageQuery("acct", Recipient: "Bob@Example.TEST")));
        Assert.Equal([bobOrdersLater, carolOrdersShop, bobOrders], await Find(new MessageQuery("acct", Tag: "orders")));
        Assert.Equal([bobOrdersLater, bobOrders], await Find(new MessageQuery("acct", Recipient: "bob@example.test", Tag: "orders")));
        Assert.Equal([carolOrdersShop], await Find(new MessageQuery("acct", From: "SHOP@acme.test")));
        Assert.Equal([carolOrdersShop], await Find(new MessageQuery("acct", From: "shop@acme.test", Tag: "eu", Recipient: "carol@example.test")));
        Assert.Empty(await Find(new MessageQuery("acct", From: "shop@acme.test", Tag: "news")));
        Assert.Equal([bobNews, bobOrders], await Find(new MessageQuery("acct", Recipient: "bob@example.test", Until: T0.AddMinutes(2))));
        Assert.Equal([bobOrdersLater, carolOrdersShop, bobNews], await Find(new MessageQuery("acct", Since: T0.AddMinutes(1))));
        Assert.Equal([bobNews], await Find(new MessageQuery("acct", Since: T0.AddMinutes(1), Until: T0.AddMinutes(2))));
        Assert.Equal([bobOrdersLater, bobOrders], await Find(new MessageQuery("acct", Recipient: "bob@example.test", Tag: "orders", Limit: 1)));
        Assert.Empty(await Find(new MessageQuery("acct", Recipient: "nobody@example.test")));
    }

    [Fact]
    public async Task The_status_filter_follows_the_message_through_each_recorded_attempt_and_a_bounce()
    {
        var stores = CreateStores();
        var a = await AcceptAsync(stores, Message(T0));
        var b = await AcceptAsync(stores, Message(T0.AddSeconds(1), to: ["r0@example.test", "r1@example.test"]));

        async Task<IEnumerable<string>> WithStatus(string status) =>
            (await AllPagesAsync(stores, new MessageQuery("acct", Status: status))).Select(m => m.Id);

        Assert.Equal([b, a], await WithStatus(MessageStatus.Queued));
        await stores.Queue.ClaimDueAsync("c1", T0.AddSeconds(2), 10, T0.AddMinutes(2), default);
        // "sending" is written per attempt; search sees the status once the attempt is recorded.
        await stores.Queue.UpdateRecipientsAsync("c1", a, [new RecipientUpdate(0, State(RecipientStatus.Sending, T0))], default);
        Assert.Equal([b, a], await WithStatus(MessageStatus.Queued));

        var at = T0.AddSeconds(3);
        await stores.Queue.CompleteAsync("c1", a, [new RecipientUpdate(0, State(RecipientStatus.Delivered, at))],
            [new MessageEvent(MessageEventTypes.Delivered, at, "r0@example.test", "ok", new SmtpReply(250, null, "ok"))], null, null, default);
        await stores.Queue.CompleteAsync("c1", b,
            [new RecipientUpdate(0, State(RecipientStatus.Delivered, at)), new RecipientUpdate(1, State(RecipientStatus.Deferred, at, 451))],
            [new MessageEvent(MessageEventTypes.Delivered, at, "r0@example.test", "ok"), new MessageEvent(MessageEventTypes.Deferred, at, "r1@example.test", "451")],
            at.AddMinutes(5), null, default);
        Assert.Equal([a], await WithStatus(MessageStatus.Delivered));
        Assert.Equal([b], await WithStatus(MessageStatus.Deferred));
        Assert.Empty(await WithStatus(MessageStatus.Queued));
        Assert.Empty(await WithStatus(MessageStatus.Sending));
        var listed = await AllPagesAsync(stores, new MessageQuery("acct"));
        Assert.Equal([MessageStatus.Deferred, MessageStatus.Delivered], listed.Select(m => m.Status));

        // The retry fails for good: partially delivered. Then a bounce comes back for the first.
        await stores.Queue.ClaimDueAsync("c2", at.AddMinutes(5), 10, at.AddMinutes(7), default);
        await stores.Queue.CompleteAsync("c2", b, [new RecipientUpdate(1, State(RecipientStatus.Failed, at.AddMinutes(5), 550))],
            [new MessageEvent(MessageEventTypes.Failed, at.AddMinutes(5), "r1@example.test", "550")], null, null, default);
        Assert.Equal([b], await WithStatus(MessageStatus.PartiallyDelivered));
        Assert.True(await stores.Messages.RecordAsync(a, [new RecipientUpdate(0, State(RecipientStatus.Bounced, at.AddMinutes(6), 550))],
            [new MessageEvent(MessageEventTypes.Bounced, at.AddMinutes(6), "r0@example.test", "5.1.1")], default));
        Assert.Equal([a], await WithStatus(MessageStatus.Bounced));
        Assert.Empty(await WithStatus(MessageStatus.Delivered));
        Assert.Equal([b], await WithStatus(MessageStatus.PartiallyDelivered));
    }

    [Fact]
    public async Task A_key_filter_finds_only_what_that_key_sent_a_page_at_a_time_and_never_a_message_without_a_key()
    {
        var stores = CreateStores();
        var byA = new List<string>();
        var byB = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            byA.Add(await AcceptAsync(stores, Message(T0.AddMinutes(2 * i), to: ["bob@example.test"], keyId: "key_aaaaaaaaaaaaaaaa")));
            byB.Add(await AcceptAsync(stores, Message(T0.AddMinutes((2 * i) + 1), to: ["bob@example.test"], keyId: "key_bbbbbbbbbbbbbbbb")));
        }

        var keyless = await AcceptAsync(stores, Message(T0.AddMinutes(10), to: ["bob@example.test"]));
        await AcceptAsync(stores, Message(T0.AddMinutes(11), account: "theirs", keyId: "key_aaaaaaaaaaaaaaaa"));

        async Task<IEnumerable<string>> Find(MessageQuery query) => (await AllPagesAsync(stores, query)).Select(m => m.Id);

        var first = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 2, KeyId: "key_aaaaaaaaaaaaaaaa"), default);
        Assert.Equal([byA[2], byA[1]], first.Items.Select(m => m.Id));
        var last = await stores.Search.SearchAsync(new MessageQuery("acct", Limit: 2, KeyId: "key_aaaaaaaaaaaaaaaa", Cursor: first.NextCursor), default);
        Assert.Equal([byA[0]], last.Items.Select(m => m.Id));
        Assert.Null(last.NextCursor);

        Assert.Equal(Enumerable.Reverse(byB), await Find(new MessageQuery("acct", Limit: 1, KeyId: "key_bbbbbbbbbbbbbbbb")));
        Assert.Equal([byB[2]], await Find(new MessageQuery("acct", Recipient: "bob@example.test", Since: T0.AddMinutes(4), KeyId: "key_bbbbbbbbbbbbbbbb")));
        Assert.Equal(Enumerable.Reverse(byA), await Find(new MessageQuery("acct", Status: MessageStatus.Queued, KeyId: "key_aaaaaaaaaaaaaaaa")));
        Assert.Empty(await Find(new MessageQuery("acct", KeyId: "key_cccccccccccccccc")));
        Assert.Equal([keyless, byB[2], byA[2], byB[1], byA[1], byB[0], byA[0]], await Find(new MessageQuery("acct", Limit: 3)));
    }

    [Fact]
    public async Task A_message_whose_recipients_are_all_suppressed_is_found_as_suppressed()
    {
        var stores = CreateStores();
        var message = Message(T0) with
        {
            InitialStates = [new RecipientUpdate(0, new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0))],
            InitialEvents = [new MessageEvent(MessageEventTypes.Suppressed, T0, "r0@example.test", "hard_bounce")],
        };
        var id = await AcceptAsync(stores, message);

        Assert.Equal([id], (await AllPagesAsync(stores, new MessageQuery("acct", Status: MessageStatus.Suppressed))).Select(m => m.Id));
        Assert.Empty(await AllPagesAsync(stores, new MessageQuery("acct", Status: MessageStatus.Queued)));
    }

    [Fact]
    public async Task One_account_never_finds_another_accounts_messages_nor_counts_them()
    {
        var stores = CreateStores();
        var mine = await AcceptAsync(stores, Message(T0, account: "mine", to: ["bob@example.test"], tags: ["orders"]));
        await AcceptAsync(stores, Message(T0.AddSeconds(1), account: "theirs", to: ["bob@example.test"], tags: ["orders"]));

        Assert.Equal([mine], (await AllPagesAsync(stores, new MessageQuery("mine"))).Select(m => m.Id));
        Assert.Equal([mine], (await AllPagesAsync(stores, new MessageQuery("mine", Recipient: "bob@example.test", Tag: "orders", Status: MessageStatus.Queued))).Select(m => m.Id));
        Assert.Empty(await AllPagesAsync(stores, new MessageQuery("nobody")));

        var hours = await stores.Stats.ReadAsync(new StatsQuery("mine", T0, T0.AddHours(1)), default);
        Assert.Equal(1, Assert.Single(hours).Counts[MessageEventTypes.Queued]);
    }

    [Fact]
    public async Task Counters_follow_the_events_per_hour_tag_and_recipient_domain_with_delivery_latency()
    {
        var stores = CreateStores();
        var message = Message(T0, to: ["a@one.test", "b@two.test", "c@two.test", "gone@one.test"], tags: ["orders"]) with
        {
            InitialStates = [new RecipientUpdate(3, new RecipientState(RecipientStatus.Suppressed, 0, null, null, T0))],
            InitialEvents = [new MessageEvent(MessageEventTypes.Suppressed, T0, "gone@one.test", "complaint")],
        };
        var id = await AcceptAsync(stores, message);
        await stores.Queue.ClaimDueAsync("c1", T0, 10, T0.AddMinutes(2), default);

        // a delivered after 3 s, b deferred (451) then delivered in the next hour, c failed (550).
        var first = T0.AddSeconds(3);
        await stores.Queue.CompleteAsync("c1", id,
            [new RecipientUpdate(0, State(RecipientStatus.Delivered, first)), new RecipientUpdate(1, State(RecipientStatus.Deferred, first, 451)), new RecipientUpdate(2, State(RecipientStatus.Failed, first, 550))],
            [new MessageEvent(MessageEventTypes.Delivered, first, "a@one.test", "ok"), new MessageEvent(MessageEventTypes.Deferred, first, "b@two.test", "451"),
             new MessageEvent(MessageEventTypes.Failed, first, "c@two.test", "550"), new MessageEvent(MessageEventTypes.Throttled, first, "b@two.test", "slow")],
            T0.AddMinutes(65), null, default);
        var retry = T0.AddMinutes(65);
        await stores.Queue.ClaimDueAsync("c2", retry, 10, retry.AddMinutes(2), default);
        await stores.Queue.CompleteAsync("c2", id, [new RecipientUpdate(1, State(RecipientStatus.Delivered, retry))],
            [new MessageEvent(MessageEventTypes.Delivered, retry, "b@two.test", "ok")], null, null, default);
        await stores.Messages.RecordAsync(id, [new RecipientUpdate(0, State(RecipientStatus.Bounced, retry, 550))],
            [new MessageEvent(MessageEventTypes.Bounced, retry, "a@one.test", "5.1.1"), new MessageEvent(MessageEventTypes.Complained, retry, "b@two.test", "abuse")], default);
        // What recipients do (unsubscribe, open, click) is recorded the same way and counted per event.
        await stores.Messages.RecordAsync(id, [],
            [new MessageEvent(MessageEventTypes.Opened, retry, "b@two.test", null) { FirstOpen = true }, new MessageEvent(MessageEventTypes.Opened, retry, "b@two.test", null),
             new MessageEvent(MessageEventTypes.Clicked, retry, "b@two.test", "link 0") { Url = "https://shop.example/" }, new MessageEvent(MessageEventTypes.Unsubscribed, retry, "b@two.test", "one-click")], default);

        var totals = await stores.Stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(3)), default);
        Assert.Equal([T0, T0.AddHours(1), T0.AddHours(2)], totals.Select(h => h.Start));
        Assert.Equal(Counts(queued: 3, delivered: 1, deferred: 1, failed: 1, suppressed: 1), totals[0].Counts);
        Assert.Equal(Counts(delivered: 1, bounced: 1, complained: 1, unsubscribed: 1, opened: 2, clicked: 1), totals[1].Counts);
        Assert.Equal(Counts(), totals[2].Counts);
        Assert.Equal(1, totals[0].Latency[LatencyHistogram.BucketOf(3_000)]);
        Assert.Equal(1, totals[1].Latency[LatencyHistogram.BucketOf(65 * 60_000)]);
        Assert.Equal(1, totals[0].Latency.Sum());

        var orders = await stores.Stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(2), Tag: "orders"), default);
        Assert.Equal(totals[0].Counts, orders[0].Counts);
        Assert.Equal(totals[1].Latency, orders[1].Latency);
        Assert.Equal(Counts(), (await stores.Stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(1), Tag: "news"), default))[0].Counts);

        var two = await stores.Stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(2), Domain: "two.test"), default);
        Assert.Equal(Counts(queued: 2, deferred: 1, failed: 1), two[0].Counts);
        Assert.Equal(Counts(delivered: 1, complained: 1, unsubscribed: 1, opened: 2, clicked: 1), two[1].Counts);
        var one = await stores.Stats.ReadAsync(new StatsQuery("acct", T0, T0.AddHours(1), Domain: "one.test"), default);
        Assert.Equal(Counts(queued: 1, delivered: 1, suppressed: 1), one[0].Counts);
    }

    private static Dictionary<string, long> Counts(
        long queued = 0, long delivered = 0, long deferred = 0, long bounced = 0, long failed = 0, long complained = 0, long suppressed = 0, long canceled = 0,
        long unsubscribed = 0, long opened = 0, long clicked = 0) =>
        new()
        {
            [MessageEventTypes.Queued] = queued, [MessageEventTypes.Delivered] = delivered, [MessageEventTypes.Deferred] = deferred,
            [MessageEventTypes.Bounced] = bounced, [MessageEventTypes.Failed] = failed, [MessageEventTypes.Complained] = complained,
            [MessageEventTypes.Suppressed] = suppressed, [MessageEventTypes.Canceled] = canceled,
            [MessageEventTypes.Unsubscribed] = unsubscribed, [MessageEventTypes.Opened] = opened, [MessageEventTypes.Clicked] = clicked,
        };

    private sealed class SummaryComparer : IEqualityComparer<MessageSummary>
    {
        public bool Equals(MessageSummary? x, MessageSummary? y) =>
            x is not null && y is not null
            && (x.Id, x.CreatedAt, x.From, x.Subject, x.Status) == (y.Id, y.CreatedAt, y.From, y.Subject, y.Status)
            && x.To.SequenceEqual(y.To) && x.Tags.SequenceEqual(y.Tags);

        public int GetHashCode(MessageSummary obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
