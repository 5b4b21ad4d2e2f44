using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// Pages over an index of time-ordered ids (a sorted set read by lex, all scores equal), newest
/// first, as the Redis lists (captured, inbound) serve them: a page is what is strictly older than
/// the cursor, and the cursor of the next page is the last id read.
/// </summary>
internal static class RedisNewestFirstPages
{
    /// <summary>
    /// The records of up to <paramref name="limit"/> ids older than <paramref name="cursor"/>
    /// (stored as JSON at <paramref name="record"/>), and the next page's cursor when more follow.
    /// </summary>
    public static async Task<(List<T> Items, string? NextCursor)> ReadAsync<T>(IDatabase db, RedisKey index, string? cursor, int limit, Func<string, RedisKey> record)
    {
        // From the cursor (exclusive) down. One more than asked says whether a page follows.
        RedisValue start = cursor is null ? "+" : "(" + cursor;
        var ids = (RedisResult[])(await db.ExecuteAsync("ZRANGE", index, start, "-", "BYLEX", "REV", "LIMIT", 0, limit + 1))!;
        var page = ids.Take(limit).Select(r => (string)r!).ToArray();
        if (page.Length == 0)
        {
            return ([], null);
        }

        // A record dropped between the two reads is skipped; the cursor still moves past it.
        var records = await db.StringGetAsync([.. page.Select(record)], flags: RedisReads.Primary);
        var items = records.Where(r => !r.IsNull).Select(r => StorageJson.Deserialize<T>(r!)).ToList();
        return (items, ids.Length > limit ? page[^1] : null);
    }
}
