using SendApi.Core.Webhooks;
namespace SendApi.Storage.Redis;

/// <summary>The webhook store's multi-key steps, each atomic.</summary>
internal static class RedisWebhookScripts
{
    /// <summary>
    /// Create an endpoint and register its account for the outbox.
    /// KEYS: webhook, account's webhooks, webhook accounts. ARGV: id, account, then field/value pairs.
    /// </summary>
    public const string Create = """
        redis.call('HSET', KEYS[1], 'account', ARGV[2], unpack(ARGV, 3))
        redis.call('SADD', KEYS[2], ARGV[1])
        redis.call('SADD', KEYS[3], ARGV[2])
        return 1
        """;

    /// <summary>
    /// Delete an endpoint of this account with its delivery log; the account leaves the outbox's
    /// set with its last endpoint, so its events stop costing anything.
    /// KEYS: webhook, account's webhooks, webhook accounts, deliveries, delivery order. ARGV: id, account.
    /// </summary>
    public const string Delete = """
        if redis.call('HGET', KEYS[1], 'account') ~= ARGV[2] then return 0 end
        redis.call('DEL', KEYS[1], KEYS[4], KEYS[5])
        redis.call('SREM', KEYS[2], ARGV[1])
        if redis.call('SCARD', KEYS[2]) == 0 then
          redis.call('SREM', KEYS[3], ARGV[2])
        end
        return 1
        """;

    /// <summary>
    /// The new secret becomes current; the current one joins the earlier ones (<c>prev_secrets</c>,
    /// a JSON array of {s: secret, u: until ms as a string}, newest first, at most
    /// <see cref="Webhook.PreviousSecretsKept"/>), each signing until its grace period ends. Records
    /// of earlier versions hold one earlier secret as <c>prev_secret</c> / <c>prev_until</c>: it is
    /// carried over.
    /// KEYS: webhook. ARGV: account, new secret, previous-until ms.
    /// </summary>
    public static readonly string Rotate = $$"""
        if redis.call('HGET', KEYS[1], 'account') ~= ARGV[1] then return 0 end
        local f = redis.call('HMGET', KEYS[1], 'secret', 'prev_secrets', 'prev_secret', 'prev_until')
        local list = {}
        if f[2] then
          list = cjson.decode(f[2])
        elseif f[3] and f[4] then
          list = { { s = f[3], u = f[4] } }
        end
        table.insert(list, 1, { s = f[1], u = ARGV[3] })
        while #list > {{Webhook.PreviousSecretsKept}} do table.remove(list) end
        redis.call('HSET', KEYS[1], 'secret', ARGV[2], 'prev_secrets', cjson.encode(list))
        redis.call('HDEL', KEYS[1], 'prev_secret', 'prev_until')
        return 1
        """;

    /// <summary>KEYS: webhook. ARGV: account, then field/value pairs.</summary>
    public const string SetIfOwned = """
        if redis.call('HGET', KEYS[1], 'account') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        return 1
        """;

    /// <summary>
    /// Add a delivery unless it exists or its endpoint is gone, and forget the oldest beyond the cap.
    /// KEYS: webhook, deliveries, delivery order. ARGV: id, json, created ms, cap.
    /// Returns 1 added, 0 exists, -1 endpoint gone.
    /// </summary>
    public const string AddDelivery = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
        local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
        if extra > 0 then
          local old = redis.call('ZRANGE', KEYS[3], 0, extra - 1)
          redis.call('ZREMRANGEBYRANK', KEYS[3], 0, extra - 1)
          redis.call('HDEL', KEYS[2], unpack(old))
        end
        return 1
        """;

    /// <summary>Replace a delivery still in the log. KEYS: deliveries. ARGV: id, json.</summary>
    public const string SaveDelivery = """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;
}
