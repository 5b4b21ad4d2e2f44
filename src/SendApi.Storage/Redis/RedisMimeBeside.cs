using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// A message's MIME goes to Redis as a plain <c>SET</c> sent just before the accept script on the
/// same connection, not as one of the script's arguments. Every string a script receives becomes
/// a Lua string, interned: the Lua bundled with Redis hashes every byte of it (upstream Lua 5.1
/// samples at most 32), one at a time, then copies it, and <c>redis.call('SET', …)</c> copies it
/// once more into a new value. For a 100 KB body that hashing alone was 14–18 % of Redis's CPU
/// (perf on redis-server 7.0, 100 KB over HTTP and SMTP). A plain SET keeps the argument Redis
/// has read as the value.
/// <para>
/// Atomic in effect, without MULTI (a MULTI whose SET Redis refuses answers only EXECABORT,
/// hiding the READONLY, LOADING or MISCONF that make a request "try again"): the body is written
/// with a lifetime, and the script makes it permanent (PERSIST) when it stores the message,
/// deletes it on a replay, and stores nothing and answers TRYAGAIN (a 503 / 451) when the body
/// is not there (its SET was lost with a connection, or went to the old primary of a failover).
/// A body whose script never ran (a connection lost in between) expires on its own. The SET's
/// own reply is not waited for: the script's check is the one that counts, and the durability
/// wait after the script's reply covers the SET too, sent before it on the same connection.
/// </para>
/// </summary>
internal static class RedisMimeBeside
{
    // Long beyond any storage timeout: only a body whose script never ran lives this long.
    internal static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>Where the accept script's flag goes (ARGV[4]): whether the body was sent beside it.</summary>
    public const int FlagArg = 3;

    public static RedisValue Flag(bool sent) => sent ? "1" : "";

    public static bool IsSent(RedisValue flag) => flag == "1";

    /// <summary>Sends the body's SET; the accept script for the same message must follow on this database.</summary>
    public static void Send(IDatabaseAsync db, RedisKey key, ReadOnlyMemory<byte> mime) =>
        _ = db.StringSetAsync(key, mime, Lifetime, flags: CommandFlags.FireAndForget);
}
