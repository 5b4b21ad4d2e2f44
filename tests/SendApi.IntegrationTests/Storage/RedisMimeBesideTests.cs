using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// The MIME goes to Redis in a SET of its own beside the accept script (<see cref="RedisMimeBeside"/>):
/// what Redis holds is the submitted bytes, kept only for a message the script stored.
/// </summary>
public sealed class RedisMimeBesideTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly RedisKeys _keys = new($"t{Guid.NewGuid():N}:");

    private static NewMessage Message(byte[] mime, string? idempotencyKey = null, string? messageIdHeader = null)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "acct", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("r0@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), T0, messageIdHeader ?? $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, mime, idempotencyKey);
    }

    // 100 KB with every byte value, bare CR and LF, a lone dot line and bytes that are not UTF-8.
    private static byte[] LargeBody(int seed)
    {
        var body = new byte[100 * 1024];
        new Random(seed).NextBytes(body);
        "\r\n.\r\n\0\r\r\n\n"u8.CopyTo(body.AsSpan(500));
        for (var b = 0; b < 256; b++)
        {
            body[1000 + b] = (byte)b;
        }

        return body;
    }

    [Fact]
    public async Task The_stored_MIME_is_the_submitted_bytes_exactly_and_kept_without_an_expiry()
    {
        var store = new RedisMessageStore(redis.Connection, _keys);
        var single = Message(LargeBody(1));
        var batch = new[] { Message(LargeBody(2)), Message("small"u8.ToArray()), Message(LargeBody(3)) };

        var ids = new List<string> { (await store.AcceptAsync(single, default)).Id };
        ids.AddRange((await store.AcceptBatchAsync(batch, default)).Select(r => r.Id));

        var db = redis.Connection.GetDatabase();
        NewMessage[] submitted = [single, .. batch];
        for (var i = 0; i < submitted.Length; i++)
        {
            Assert.Equal(submitted[i].Envelope.Id, ids[i]);
            Assert.Equal(submitted[i].Mime.ToArray(), (byte[]?)await db.StringGetAsync(_keys.Mime(ids[i])));
            Assert.Null(await db.KeyTimeToLiveAsync(_keys.Mime(ids[i])));
            var work = (await store.LoadAsync(ids[i], default))!;
            Assert.Equal(submitted[i].Mime.ToArray(), work.Mime.ToArray());
            work.Buffer?.Dispose();
        }
    }

    [Fact]
    public async Task A_replay_leaves_no_body_of_its_own_and_the_first_message_keeps_its_body()
    {
        var store = new RedisMessageStore(redis.Connection, _keys);
        var key = Guid.NewGuid().ToString();
        var first = Message(LargeBody(4), key);
        var again = Message(LargeBody(5), key);

        Assert.False((await store.AcceptAsync(first, default)).Replayed);
        var replay = await store.AcceptAsync(again, default);
        var replays = await store.AcceptBatchAsync([Message(LargeBody(6), key)], default);

        Assert.True(replay.Replayed);
        Assert.Equal(first.Envelope.Id, replay.Id);
        Assert.Equal(first.Envelope.Id, Assert.Single(replays).Id);
        var db = redis.Connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync(_keys.Mime(again.Envelope.Id)));
        var bodies = await redis.Connection.GetServer(redis.Connection.GetEndPoints()[0]).KeysAsync(pattern: _keys.Prefix + "msg:*:mime").ToListAsync();
        Assert.Equal(_keys.Mime(first.Envelope.Id), (string?)Assert.Single(bodies));
        Assert.Equal(first.Mime.ToArray(), (byte[]?)await db.StringGetAsync(_keys.Mime(first.Envelope.Id)));
    }

    [Fact]
    public async Task A_message_whose_body_did_not_reach_redis_is_not_stored_and_the_answer_is_try_again()
    {
        // A connection whose SETs Redis refuses (as a SET lost with a connection, or sent to the old
        // primary of a failover): the script runs, finds no body, and stores nothing.
        var user = $"nosets{Guid.NewGuid():N}";
        Assert.Equal("+OK", await redis.Server.ExecuteAsync("ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-set", "-setex", "-psetex"));
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis.Server.ConnectionString},protocol=resp2,user={user},password=pw");
        var store = new RedisMessageStore(connection, _keys);
        var message = Message(LargeBody(7), messageIdHeader: "");

        var refused = await Assert.ThrowsAsync<RedisServerException>(() => store.AcceptAsync(message, default));
        var refusedInBatch = await Assert.ThrowsAsync<RedisServerException>(() => store.AcceptBatchAsync([Message(LargeBody(8), messageIdHeader: "")], default));

        Assert.StartsWith("TRYAGAIN", refused.Message, StringComparison.Ordinal);
        Assert.True(RedisAvailability.IsOutage(refused));
        Assert.True(RedisAvailability.IsOutage(refusedInBatch));
        Assert.Null(await store.FindAsync(message.Envelope.Id, default));
        Assert.Empty(await connection.GetDatabase().SortedSetRangeByRankAsync(_keys.Due));
        Assert.Empty(await redis.Connection.GetServer(redis.Connection.GetEndPoints()[0]).KeysAsync(pattern: _keys.Prefix + "*").ToListAsync());
    }
}
