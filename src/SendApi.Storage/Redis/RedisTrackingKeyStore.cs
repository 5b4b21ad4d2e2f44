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
    public async Task<byte[]> GetOrAddAsync(byte[] proposed, CancellationToken cancellationToken)
    {
        var stored = await RedisHashFirstWrite.GetOrAddAsync(redis.GetDatabase(), keys.Tracking, ("key", Convert.ToBase64String(proposed)));
        return Convert.FromBase64String((string)stored[0]!);
    }
}
