using System.Globalization;

namespace SendApi.Core;

/// <summary>
/// Ids made of a prefix and 32 hex digits: the creation time in milliseconds (12), a sequence
/// within the millisecond (4) and randomness (16). They sort by creation even within one
/// millisecond in one process (UUIDv7's random bits would not), which newest-first paging by id
/// relies on. One sequence serves every prefix, so ids of different kinds never share a value.
/// </summary>
public static class TimeOrderedIds
{
    private const int HexLength = 32;

    // The last (milliseconds << 16 | sequence) handed out by this process.
    private static long s_last;

    public static string New(string prefix, DateTimeOffset at)
    {
        var ms = Math.Max(0, at.ToUnixTimeMilliseconds());
        long next;
        while (true)
        {
            var last = Volatile.Read(ref s_last);
            var lastMs = last >> 16;
            if (ms < lastMs)
            {
                // A clock behind the last id (another clock, a test's): ordered by time alone.
                next = (ms << 16) | (long)Random.Shared.Next(0, 1 << 16);
                break;
            }

            next = ms > lastMs ? ms << 16 : last + 1;
            if (Interlocked.CompareExchange(ref s_last, next, last) == last)
            {
                break;
            }
        }

        var random = (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 32);
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}{next:x16}{random:x16}");
    }

    /// <summary>Ids come from URLs: anything else must not reach a store key.</summary>
    public static bool IsValid(string prefix, string id) =>
        id.Length == prefix.Length + HexLength
        && id.StartsWith(prefix, StringComparison.Ordinal)
        && !id.AsSpan(prefix.Length).ContainsAnyExcept("0123456789abcdef");

    /// <summary>
    /// A string that sorts below every id created at or after <paramref name="at"/>: an id
    /// begins with its creation time in milliseconds as 12 hex digits.
    /// </summary>
    public static string LowestAt(string prefix, DateTimeOffset at) =>
        prefix + Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("x12", CultureInfo.InvariantCulture);
}
