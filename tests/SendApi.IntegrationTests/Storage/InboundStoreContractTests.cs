using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Inbound;
using SendApi.Core.Webhooks;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about received mail: per-account visibility, newest-first pages, raw bytes, expiry, and the webhook outbox entry.</summary>
public abstract class InboundStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    protected FakeTimeProvider Time { get; } = new(T0);

    /// <summary>A store, its outbox, and a way to give an account a webhook endpoint.</summary>
    protected abstract (IInboundStore Store, IWebhookOutbox Outbox, Func<string, Task> AddEndpoint) Create();

    protected static InboundEmail Email(string account, DateTimeOffset at, string subject = "hello") =>
        new(InboundIds.New(at), account, at, new InboundEnvelope("carol@example.test", ["support@reply.acme.test"], "127.0.0.1", "mx.test", false),
            new InboundAddress("Carol", "carol@example.test"), [new InboundAddress(null, "support@reply.acme.test")], [], [], subject, at, "m1@example.test",
            null, [], null, "text", null, "text", false, [new InboundHeader("Subject", subject)], [], 42);

    [Fact]
    public async Task Stored_mail_is_read_back_by_its_account_only()
    {
        var (store, _, _) = Create();
        var email = Email("acct", T0);
        await store.StoreAsync(email, "raw bytes"u8.ToArray(), Guid.NewGuid().ToString("N"), Retention, default);

        var found = await store.FindAsync("acct", email.Id, default);
        Assert.NotNull(found);
        Assert.Equal(email.Subject, found.Subject);
        Assert.Equal(email.Headers, found.Headers);
        Assert.Equal("raw bytes"u8.ToArray(), await store.GetRawAsync("acct", email.Id, default));
        Assert.Null(await store.FindAsync("other", email.Id, default));
        Assert.Null(await store.GetRawAsync("other", email.Id, default));
        Assert.Null(await store.FindAsync("acct", InboundIds.New(T0), default));
    }

    [Fact]
    public async Task Pages_run_newest_first_from_the_cursor()
    {
        var (store, _, _) = Create();
        var emails = Enumerable.Range(0, 5).Select(i => Email("acct", T0.AddSeconds(i), $"n{i}")).ToList();
        foreach (var email in emails)
        {
            await store.StoreAsync(email, "x"u8.ToArray(), Guid.NewGuid().ToString("N"), Retention, default);
        }

        await store.StoreAsync(Email("other", T0.AddSeconds(10)), "x"u8.ToArray(), Guid.NewGuid().ToString("N"), Retention, default);

        var first = await store.ListAsync("acct", null, 2, default);
        var second = await store.ListAsync("acct", first.NextCursor, 2, default);
        var third = await store.ListAsync("acct", second.NextCursor, 2, default);

        Assert.Equal(["n4", "n3"], first.Items.Select(e => e.Subject));
        Assert.Equal(["n2", "n1"], second.Items.Select(e => e.Subject));
        Assert.Equal(["n0"], third.Items.Select(e => e.Subject));
        Assert.Null(third.NextCursor);
        Assert.Empty((await store.ListAsync("nobody", null, 10, default)).Items);
    }

    [Fact]
    public async Task A_retried_delivery_is_recognised_by_its_fingerprint_and_stored_once()
    {
        var (store, _, _) = Create();
        var first = Email("acct", T0, "once");
        var retry = Email("acct", T0.AddMinutes(5), "once");

        Assert.Equal(first.Id, await store.StoreAsync(first, "x"u8.ToArray(), "fp-1", Retention, default));
        Assert.Equal(first.Id, await store.StoreAsync(retry, "x"u8.ToArray(), "fp-1", Retention, default));
        var other = Email("other", T0, "once");
        Assert.Equal(other.Id, await store.StoreAsync(other, "x"u8.ToArray(), "fp-1", Retention, default));

        Assert.Single((await store.ListAsync("acct", null, 10, default)).Items);
        Assert.Null(await store.FindAsync("acct", retry.Id, default));
    }

    [Fact]
    public async Task A_cursor_older_than_everything_gives_an_empty_page()
    {
        var (store, _, _) = Create();
        await store.StoreAsync(Email("acct", T0), "x"u8.ToArray(), "fp", Retention, default);

        Assert.Empty((await store.ListAsync("acct", InboundIds.LowestAt(T0.AddDays(-1)) + "0000000000000000000", 10, default)).Items);
        Assert.Single((await store.ListAsync("acct", InboundIds.New(T0.AddDays(1)), 10, default)).Items);
    }

    [Fact]
    public async Task The_oldest_email_s_own_id_as_cursor_gives_an_empty_page_and_the_next_one_s_gives_the_oldest()
    {
        var (store, _, _) = Create();
        var oldest = Email("acct", T0, "oldest");
        var newer = Email("acct", T0.AddSeconds(1), "newer");
        await store.StoreAsync(oldest, "x"u8.ToArray(), "fp-old", Retention, default);
        await store.StoreAsync(newer, "x"u8.ToArray(), "fp-new", Retention, default);

        Assert.Empty((await store.ListAsync("acct", oldest.Id, 10, default)).Items);
        Assert.Equal(["oldest"], (await store.ListAsync("acct", newer.Id, 10, default)).Items.Select(e => e.Subject));
    }

    [Fact]
    public async Task The_webhook_carries_a_bounded_copy_of_a_huge_message()
    {
        var (store, outbox, addEndpoint) = Create();
        await addEndpoint("big");
        var huge = new string('x', InboundEmail.WebhookLimit + 10);
        var email = Email("big", T0) with { Text = huge, Html = huge };
        await store.StoreAsync(email, "x"u8.ToArray(), "fp", Retention, default);

        var data = Assert.IsType<InboundEmail>(Assert.Single(await outbox.ReadAsync("c1", 10, default)).Data);
        Assert.True(data.Truncated);
        Assert.Equal(InboundEmail.WebhookLimit, data.Text!.Length);
        Assert.Equal(huge, (await store.FindAsync("big", email.Id, default))!.Text);
    }

    [Fact]
    public async Task Mail_for_an_account_with_an_endpoint_reaches_the_outbox_in_the_same_step()
    {
        var (store, outbox, addEndpoint) = Create();
        await store.StoreAsync(Email("quiet", T0), "x"u8.ToArray(), Guid.NewGuid().ToString("N"), Retention, default);
        await addEndpoint("hooked");
        var email = Email("hooked", T0, "pushed");
        await store.StoreAsync(email, "x"u8.ToArray(), Guid.NewGuid().ToString("N"), Retention, default);

        var events = await outbox.ReadAsync("c1", 10, default);

        var e = Assert.Single(events);
        Assert.Equal(WebhookEventTypes.InboundReceived, e.Type);
        Assert.Equal("hooked", e.AccountId);
        var data = Assert.IsType<InboundEmail>(e.Data);
        Assert.Equal(email.Id, data.Id);
        Assert.Equal("pushed", data.Subject);
    }
}

public sealed class InMemoryInboundStoreTests : InboundStoreContract
{
    protected override (IInboundStore Store, IWebhookOutbox Outbox, Func<string, Task> AddEndpoint) Create()
    {
        var webhooks = new InMemoryWebhookStore();
        var outbox = new InMemoryWebhookOutbox(webhooks, Time);
        return (new InMemoryInboundStore(Time, outbox), outbox, account => AddEndpointAsync(webhooks, account));
    }

    [Fact]
    public async Task Mail_past_its_retention_is_gone()
    {
        var (store, _, _) = Create();
        var email = Email("acct", T0);
        await store.StoreAsync(email, "x"u8.ToArray(), Guid.NewGuid().ToString("N"), TimeSpan.FromHours(1), default);

        Time.Advance(TimeSpan.FromHours(1));

        Assert.Null(await store.FindAsync("acct", email.Id, default));
        Assert.Empty((await store.ListAsync("acct", null, 10, default)).Items);
    }

    internal static Task AddEndpointAsync(IWebhookStore webhooks, string account) =>
        webhooks.CreateAsync(new Webhook($"wh_{Guid.NewGuid():N}", account, "https://hooks.example.test/in", [WebhookEventTypes.InboundReceived], T0, "whsec_c2VjcmV0"), default);
}

public sealed class RedisInboundStoreTests(RedisServerFixture redis) : InboundStoreContract, IClassFixture<RedisServerFixture>
{
    protected override (IInboundStore Store, IWebhookOutbox Outbox, Func<string, Task> AddEndpoint) Create()
    {
        var keys = new RedisKeys($"t{Guid.NewGuid():N}:");
        var webhooks = new RedisWebhookStore(redis.Connection, keys);
        var outbox = new RedisWebhookOutbox(redis.Connection, keys, Microsoft.Extensions.Logging.Abstractions.NullLogger<RedisWebhookOutbox>.Instance);
        return (new RedisInboundStore(redis.Connection, keys), outbox, account => InMemoryInboundStoreTests.AddEndpointAsync(webhooks, account));
    }

    [Fact]
    public async Task Records_carry_the_retention_as_their_expiry()
    {
        var (store, _, _) = Create();
        var email = Email("acct", T0);
        await store.StoreAsync(email, "x"u8.ToArray(), Guid.NewGuid().ToString("N"), TimeSpan.FromHours(1), default);

        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(await FindKeyAsync(email.Id));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }

    private async Task<RedisKey> FindKeyAsync(string id)
    {
        var server = redis.Connection.GetServers()[0];
        await foreach (var key in server.KeysAsync(pattern: $"*inbound:{id}"))
        {
            return key;
        }

        throw new InvalidOperationException($"No key for {id}");
    }
}
