using SendApi.Core.Messages;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>Idempotency-Key bindings in Redis: <c>idemreq:{account}:{key}</c> → the request's fingerprint, set once per window.</summary>
internal sealed class RedisIdempotencyKeys(IConnectionMultiplexer redis, RedisKeys keys) : IIdempotencyKeys
{
    /// <summary>Set unless present. KEYS: binding. ARGV: fingerprint, ttl s. Returns the fingerprint bound before, or nil when this call bound it.</summary>
    private const string BindScript = """
        local existing = redis.call('GET', KEYS[1])
        if existing then return existing end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        return false
        """;

    public async Task<IdempotencyBinding> BindAsync(string accountId, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var existing = await redis.GetDatabase().ScriptEvaluateAsync(
            BindScript, [keys.IdempotentRequest(accountId, key)], [fingerprint, (long)MessageLifetimes.IdempotencyWindow.TotalSeconds]);
        return existing.IsNull ? IdempotencyBinding.New
            : (string?)existing == fingerprint ? IdempotencyBinding.SameRequest
            : IdempotencyBinding.OtherRequest;
    }
}
