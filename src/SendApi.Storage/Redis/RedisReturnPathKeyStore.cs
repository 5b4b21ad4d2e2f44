using SendApi.Core.Messages;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// The return-path signing state in the hash <c>returnpath</c> (fields <c>key</c>, base64, and
/// <c>since</c>, unix ms), each written only if absent: the first instance of this version to
/// start decides, and every later one, restarted or new, reads the same. Never expires.
/// </summary>
internal sealed class RedisReturnPathKeyStore(IConnectionMultiplexer redis, RedisKeys keys) : IReturnPathKeyStore
{
    public async Task<ReturnPathSecret> GetOrAddAsync(ReturnPathSecret proposed, CancellationToken cancellationToken)
    {
        var stored = await RedisHashFirstWrite.GetOrAddAsync(
            redis.GetDatabase(),
            keys.ReturnPath,
            ("key", Convert.ToBase64String(proposed.GeneratedKey.Bytes)),
            ("since", proposed.SignedSince.ToUnixTimeMilliseconds()));
        return new ReturnPathSecret(
            new ReturnPathKey(Convert.FromBase64String((string)stored[0]!)),
            DateTimeOffset.FromUnixTimeMilliseconds((long)stored[1]));
    }
}
