using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryMessageStoreTests : MessageStoreContract
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return (store, store);
    }
}

public sealed class RedisMessageStoreTests(RedisServerFixture redis) : MessageStoreContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's queue to itself on the shared server.
    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        var store = new RedisMessageStore(redis.Connection, _keys);
        return (store, store);
    }

    private static NewMessage Message(MessageVariants? variants = null)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "acct", "a@acme.test", "a@acme.test", "s",
            [new RecipientAddress("r0@example.test", RecipientKind.To), new RecipientAddress("r1@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), T0, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "abc"u8.ToArray(), null) { Variants = variants ?? MessageVariants.None };
    }

    [Fact]
    public async Task A_message_without_variants_is_stored_as_before_with_no_variant_key_or_field()
    {
        var (messages, _) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;

        var db = redis.Connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync(_keys.Variants(id)));
        Assert.False(await db.HashExistsAsync(_keys.Message(id), RedisMessageFields.Variants));
        Assert.True(await db.KeyExistsAsync(_keys.Mime(id)));
    }

    [Fact]
    public async Task Variant_bodies_are_kept_in_their_own_key_and_deleted_when_the_message_is_finished()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(new MessageVariants(["variant one"u8.ToArray()], [1, 0])), default)).Id;
        var db = redis.Connection.GetDatabase();
        Assert.Equal("variant one", (string?)await db.HashGetAsync(_keys.Variants(id), "1"));
        Assert.Equal("[1,0]", (string?)await db.HashGetAsync(_keys.Message(id), RedisMessageFields.Variants));

        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)], [], null, null, default);

        Assert.False(await db.KeyExistsAsync(_keys.Variants(id)));
        Assert.False(await db.KeyExistsAsync(_keys.Mime(id)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(_keys.Message(id)));
    }

    [Fact]
    public async Task A_Redis_that_forgot_its_scripts_still_accepts_claims_and_completes()
    {
        // The scripts are called by their SHA once known; a restarted Redis has none of them.
        var (messages, queue) = CreateStore();
        await messages.AcceptAsync(Message(), default);
        var db = redis.Connection.GetDatabase();
        Assert.Equal("OK", (string?)await db.ExecuteAsync("SCRIPT", "FLUSH"));

        var id = (await messages.AcceptAsync(Message(), default)).Id;
        Assert.Equal(2, (await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default)).Count);
        var delivered = new RecipientState(RecipientStatus.Delivered, 1, new SmtpReply(250, null, "ok"), null, T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)], [], null, null, default);

        var stored = await messages.FindAsync(id, default);
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Delivered], stored!.Recipients.Select(r => r.Status));
        Assert.False(await db.KeyExistsAsync(_keys.Mime(id)));
    }

    [Fact]
    public async Task Noted_remote_250s_are_deleted_when_the_message_is_finished_and_a_late_note_leaves_nothing_behind()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        var db = redis.Connection.GetDatabase();
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var ok = new SmtpReply(250, "2.0.0", "ok");
        queue.NoteAccepted(id, [(0, new MessageEvent(MessageEventTypes.Delivered, T0, "r0@example.test", "250", ok))]);
        Assert.True(await db.KeyExistsAsync(_keys.Accepted(id)));
        Assert.NotNull(await db.KeyTimeToLiveAsync(_keys.Accepted(id)));

        var delivered = new RecipientState(RecipientStatus.Delivered, 1, ok, null, T0);
        await queue.CompleteAsync("c1", id, [new RecipientUpdate(0, delivered), new RecipientUpdate(1, delivered)], [], null, null, default);
        Assert.False(await db.KeyExistsAsync(_keys.Accepted(id)));

        // A frozen worker's note arriving after another finished the message: not kept.
        queue.NoteAccepted(id, [(1, new MessageEvent(MessageEventTypes.Delivered, T0, "r1@example.test", "250", ok))]);
        Assert.False(await db.KeyExistsAsync(_keys.Accepted(id)));
    }

    [Fact]
    public async Task Forgetting_a_message_whose_record_is_gone_drops_its_queue_entry_and_the_bodies_left_behind()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(new MessageVariants(["variant one"u8.ToArray()], [1, 0])), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var db = redis.Connection.GetDatabase();
        await db.KeyDeleteAsync(_keys.Message(id));

        Assert.Null(await queue.LoadAsync(id, default));
        Assert.Equal(ForgetOutcome.Dropped, await queue.ForgetAsync("c1", id, T0, default));
        Assert.Null(await db.SortedSetScoreAsync(_keys.Due, id));
        Assert.False(await db.HashExistsAsync(_keys.Claims, id));
        Assert.False(await db.KeyExistsAsync(_keys.Mime(id)));
        Assert.False(await db.KeyExistsAsync(_keys.Variants(id)));
    }

    [Fact]
    public async Task A_record_read_without_its_body_says_the_body_is_missing_and_a_finished_one_does_not()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        var db = redis.Connection.GetDatabase();
        await db.KeyRenameAsync(_keys.Mime(id), _keys.Mime(id) + ":away");

        var work = (await queue.LoadAsync(id, default))!;
        Assert.True(work.BodyMissing);
        Assert.True(work.Mime.IsEmpty);

        await db.KeyRenameAsync(_keys.Mime(id) + ":away", _keys.Mime(id));
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var ok = new SmtpReply(250, "2.0.0", "ok");
        await queue.CompleteAsync("c1", id,
            [new RecipientUpdate(0, new RecipientState(RecipientStatus.Delivered, 1, ok, null, T0)), new RecipientUpdate(1, new RecipientState(RecipientStatus.Delivered, 1, ok, null, T0))],
            [], null, null, default);
        Assert.False((await queue.LoadAsync(id, default))!.BodyMissing);
    }

    [Fact]
    public async Task A_record_read_without_its_variant_bodies_says_the_body_is_missing()
    {
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(new MessageVariants(["variant one"u8.ToArray()], [1, 0])), default)).Id;
        var db = redis.Connection.GetDatabase();
        await db.KeyDeleteAsync(_keys.Variants(id));

        var work = (await queue.LoadAsync(id, default))!;
        Assert.True(work.BodyMissing);
        work.Buffer?.Dispose();
    }

    [Fact]
    public async Task Forgetting_a_message_whose_record_lost_its_envelope_drops_what_is_left_of_it()
    {
        // An attempt's states written over an evicted record leave a hash a load cannot read.
        var (messages, queue) = CreateStore();
        var id = (await messages.AcceptAsync(Message(), default)).Id;
        await queue.ClaimDueAsync("c1", T0, 100, T0.AddMinutes(2), default);
        var db = redis.Connection.GetDatabase();
        await db.HashDeleteAsync(_keys.Message(id), RedisMessageFields.Envelope);

        Assert.Null(await queue.LoadAsync(id, default));
        Assert.Equal(ForgetOutcome.Dropped, await queue.ForgetAsync("c1", id, T0, default));
        Assert.False(await db.KeyExistsAsync(_keys.Message(id)));
        Assert.False(await db.KeyExistsAsync(_keys.Events(id)));
        Assert.Null(await db.SortedSetScoreAsync(_keys.Due, id));
    }
}
