namespace SendApi.Storage.Embedded;

/// <summary>
/// Pages over time-ordered ids held in a sorted set, newest first, as the embedded lists
/// (captured, inbound) serve them: a page is what is strictly older than the cursor, and the
/// cursor of the next page is the last id given.
/// </summary>
internal static class NewestFirstPages
{
    /// <summary>The ids strictly older than <paramref name="cursor"/> (all of them without one), newest first.</summary>
    public static IEnumerable<string> OlderThan(SortedSet<string> ids, string? cursor) =>
        cursor is null ? ids.Reverse()
        // At or below the oldest id there is nothing older (and a view below the minimum would throw).
        : ids.Count == 0 || string.CompareOrdinal(cursor, ids.Min) <= 0 ? []
        : ids.GetViewBetween(ids.Min!, cursor).Reverse().Where(id => id != cursor);

    /// <summary>Up to <paramref name="limit"/> of <paramref name="newestFirst"/>, and the next page's cursor when more follow.</summary>
    public static (List<T> Items, string? NextCursor) Take<T>(IEnumerable<T> newestFirst, int limit, Func<T, string> id)
    {
        // One more than asked says whether a page follows.
        var page = newestFirst.Take(limit + 1).ToList();
        return page.Count > limit ? (page[..limit], id(page[limit - 1])) : (page, null);
    }
}
