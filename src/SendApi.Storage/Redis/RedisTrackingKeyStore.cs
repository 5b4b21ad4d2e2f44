using SendApi.Core.Tracking;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The tracking key in the hash <c>tracking</c> (field <c>key</c>, base64), written only if absent:
/// the first instance to need it decides, and every later one, restarted or new, reads the same.
/// Never expires: links in delivered mail keep working.
/// </summary>
internal sealed class RedisTrackingKeyStore(IConnectionMultiplexer redis, RedisKeys keys) : ITrackingKeyStore
{
    /// <summary>KEYS: hash. ARGV: key. Returns the stored key.</summary>
    private const string GetOrAddScript = """
        redis.call('HSETNX', KEYS[1], 'key', ARGV[1])
        return redis.call('HGET', KEYS[1], 'key')
        """;

    public async Task<byte[]> GetOrAddAsync(byte[] proposed, CancellationToken cancellationToken)
    {
        var stored = await redis.GetDatabase().ScriptEvaluateAsync(GetOrAddScript, [keys.Tracking], [Convert.ToBase64String(proposed)]);
        return Convert.FromBase64String((string)stored!);
    }
}
