using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// EVALSHA by a SHA1 worked out once per script. StackExchange.Redis, given the script's text,
/// finds its SHA in a table keyed by that text, which hashes all of it on every call: a few
/// microseconds of CPU for the 7–8 kB accept and complete scripts, twice per message. Here the
/// table is keyed by the string instance (each script is a static readonly string), so the
/// lookup does not read the text. A Redis that does not know the script (restarted, or
/// SCRIPT FLUSH) answers NOSCRIPT; the call is then made once with the text, which loads it again.
/// </summary>
internal static class RedisScriptCalls
{
    private static readonly ConditionalWeakTable<string, byte[]> Hashes = [];

    public static async Task<RedisResult> EvaluateScriptAsync(this IDatabaseAsync db, string script, RedisKey[] keys, RedisValue[] values)
    {
        var hash = Hashes.GetValue(script, static text => SHA1.HashData(Encoding.UTF8.GetBytes(text)));
        try
        {
            return await db.ScriptEvaluateAsync(hash, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(script, keys, values);
        }
    }
}
