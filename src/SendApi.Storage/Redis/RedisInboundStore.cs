using SendApi.Core.Inbound;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Received mail in Redis: <c>inbound:{id}</c> the parsed record's JSON, <c>inbound:{id}:raw</c>
/// the MIME (apart, so listing never loads it), both expiring after the retention, and per account
/// <c>account:{account}:inbound</c>, a sorted set of ids with every score 0: ids are time-ordered,
/// so ZRANGE BYLEX REV pages newest first from a cursor, and ZREMRANGEBYLEX trims what expired.
/// </summary>
internal sealed class RedisInboundStore(IConnectionMultiplexer redis, RedisKeys keys) : IInboundStore
{
    /// <summary>
    /// Store all or nothing, webhook outbox included (only when the account has an endpoint),
    /// unless the fingerprint says it is already stored. KEYS: record, raw, account index, webhook
    /// accounts, outbox, fingerprint. ARGV: JSON, raw, retention s, id, account, lowest id still
    /// retained, webhook JSON, dedupe window s. Returns the id the mail is stored under.
    /// </summary>
    private static readonly string StoreScript = RedisOutboxEntries.Functions + "\n" + $$"""
        local earlier = redis.call('GET', KEYS[6])
        if earlier then return earlier end
        redis.call('SET', KEYS[6], ARGV[4], 'EX', ARGV[8])
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
        redis.call('ZADD', KEYS[3], 0, ARGV[4])
        redis.call('ZREMRANGEBYLEX', KEYS[3], '-', '(' .. ARGV[6])
        redis.call('EXPIRE', KEYS[3], ARGV[3])
        if outbox_wants(KEYS[4], ARGV[5]) then
          outbox_add(KEYS[5], {{Lua.String(RedisOutboxEntries.Account)}}, ARGV[5], {{Lua.String(RedisOutboxEntries.Inbound)}}, ARGV[7])
        end
        return ARGV[4]
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<string> StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, string fingerprint, TimeSpan retention, CancellationToken cancellationToken)
    {
        var oldestKept = InboundIds.LowestAt(email.ReceivedAt - retention);
        var webhook = email.ForWebhook();
        var json = StorageJson.Serialize(email);
        var result = await Db.ScriptEvaluateAsync(
            StoreScript,
            [keys.Inbound(email.Id), keys.InboundRaw(email.Id), keys.InboundIndex(email.AccountId), keys.WebhookAccounts, keys.WebhookOutbox, keys.InboundFingerprint(email.AccountId, fingerprint)],
            [json, raw, (long)Math.Ceiling(retention.TotalSeconds), email.Id, email.AccountId, oldestKept,
             ReferenceEquals(webhook, email) ? json : StorageJson.Serialize(webhook), (long)InboundDedupe.Window.TotalSeconds]);
        return (string)result!;
    }

    public async Task<InboundEmail?> FindAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        if (!InboundIds.IsValid(id))
        {
            return null;
        }

        var json = await Db.StringGetAsync(keys.Inbound(id), flags: RedisReads.Primary);
        return json.IsNull ? null : Owned(StorageJson.Deserialize<InboundEmail>(json!), accountId);
    }

    public async Task<byte[]?> GetRawAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        if (!InboundIds.IsValid(id))
        {
            return null;
        }

        // Both keys in one round trip; the record says whose it is, the raw bytes alone would not.
        var values = await Db.StringGetAsync([keys.Inbound(id), keys.InboundRaw(id)], flags: RedisReads.Primary);
        return values[0].IsNull || values[1].IsNull || Owned(StorageJson.Deserialize<InboundEmail>(values[0]!), accountId) is null
            ? null
            : (byte[])values[1]!;
    }

    public async Task<InboundPage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var (items, next) = await RedisNewestFirstPages.ReadAsync<InboundEmail>(Db, keys.InboundIndex(accountId), cursor, limit, id => keys.Inbound(id));
        return new InboundPage(items, next);
    }

    private static InboundEmail? Owned(InboundEmail email, string accountId) =>
        email.AccountId == accountId ? email : null;
}
