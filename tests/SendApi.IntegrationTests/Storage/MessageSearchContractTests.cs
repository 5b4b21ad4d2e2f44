using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryMessageSearchTests : MessageSearchContract
{
    protected override Stores CreateStores()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return new Stores(store, store, store, store);
    }
}

public sealed class RedisMessageSearchTests(RedisServerFixture redis) : MessageSearchContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's indexes and counters to itself on the shared server.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override Stores CreateStores()
    {
        var store = new RedisMessageStore(redis.Connection, _keys, new FakeTimeProvider(T0));
        return new Stores(store, store, new RedisMessageSearch(redis.Connection, _keys), new RedisMessageStatsReader(redis.Connection, _keys));
    }

    [Fact]
    public async Task An_index_entry_whose_message_expired_is_skipped_and_removed_by_the_search_that_meets_it()
    {
        var stores = CreateStores();
        var envelope = new MessageEnvelope(MessageIds.New(), "acct", "a@acme.test", "a@acme.test", "s",
            [new RecipientAddress("r0@example.test", RecipientKind.To)], [], new Dictionary<string, string>(), T0, "x@sendapi.test", 3);
        var kept = (await stores.Messages.AcceptAsync(new NewMessage(envelope, "abc"u8.ToArray(), null), default)).Id;
        var expired = (await stores.Messages.AcceptAsync(new NewMessage(envelope with { Id = MessageIds.New(), CreatedAt = T0.AddSeconds(1) }, "abc"u8.ToArray(), null), default)).Id;
        var db = redis.Connection.GetDatabase();
        await db.KeyDeleteAsync(_keys.Message(expired));

        Assert.Equal([kept], (await stores.Search.SearchAsync(new MessageQuery("acct"), default)).Items.Select(m => m.Id));
        Assert.Equal(1, await db.SortedSetLengthAsync(_keys.Search("acct")));
    }

    [Fact]
    public async Task A_message_accepted_before_the_key_had_its_own_field_is_found_by_the_key_in_its_envelope()
    {
        var stores = CreateStores();
        MessageEnvelope Envelope(DateTimeOffset at, string? keyId) =>
            new MessageEnvelope(MessageIds.New(), "acct", "a@acme.test", "a@acme.test", "s",
                [new RecipientAddress("r0@example.test", RecipientKind.To)], [], new Dictionary<string, string>(), at, "x@sendapi.test", 3) { KeyId = keyId };
        var older = (await stores.Messages.AcceptAsync(new NewMessage(Envelope(T0, "key_aaaaaaaaaaaaaaaa"), "abc"u8.ToArray(), null), default)).Id;
        var newer = (await stores.Messages.AcceptAsync(new NewMessage(Envelope(T0.AddSeconds(1), "key_aaaaaaaaaaaaaaaa"), "abc"u8.ToArray(), null), default)).Id;
        var keyless = (await stores.Messages.AcceptAsync(new NewMessage(Envelope(T0.AddSeconds(2), null), "abc"u8.ToArray(), null), default)).Id;

        // As the previous version wrote it: the key in the envelope's JSON, no field of its own.
        Assert.True(await redis.Connection.GetDatabase().HashDeleteAsync(_keys.Message(older), RedisSearchIndex.SentWith));

        Assert.Equal([newer, older], (await stores.Search.SearchAsync(new MessageQuery("acct", KeyId: "key_aaaaaaaaaaaaaaaa"), default)).Items.Select(m => m.Id));
        Assert.Empty((await stores.Search.SearchAsync(new MessageQuery("acct", KeyId: "key_bbbbbbbbbbbbbbbb"), default)).Items);
        Assert.Equal([keyless, newer, older], (await stores.Search.SearchAsync(new MessageQuery("acct"), default)).Items.Select(m => m.Id));
    }
}
