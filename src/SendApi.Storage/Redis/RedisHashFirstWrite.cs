using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// State that the first instance to propose decides and every later one reads (the signing keys):
/// each field of a hash written only if absent, then all of them read back, in one script, so
/// instances starting together all get what was stored first.
/// </summary>
internal static class RedisHashFirstWrite
{
    /// <summary>KEYS: hash. ARGV: field, value, field, value, … Returns the stored values, in the fields' order.</summary>
    private const string GetOrAddScript = """
        local fields = {}
        for i = 1, #ARGV, 2 do
          redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
          fields[#fields + 1] = ARGV[i]
        end
        return redis.call('HMGET', KEYS[1], unpack(fields))
        """;

    /// <summary>The values stored in <paramref name="hash"/> for the proposed fields, the proposal's where none was.</summary>
    public static async Task<RedisValue[]> GetOrAddAsync(IDatabase db, RedisKey hash, params (string Field, RedisValue Value)[] proposed) =>
        (RedisValue[])(await db.ScriptEvaluateAsync(GetOrAddScript, [hash], [.. proposed.SelectMany(p => new[] { (RedisValue)p.Field, p.Value })]))!;
}
