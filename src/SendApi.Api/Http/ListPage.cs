using System.Globalization;
using System.Text.Json.Serialization;

namespace SendApi.Api.Http;

/// <summary>
/// One page of a list, the shape of every list endpoint: <c>{"data": [...], "next_cursor": null|"..."}</c>.
/// Pass <c>next_cursor</c> back as <c>?cursor=</c> for the next page; it is null on the last page
/// (and always present, so a client can test it without checking that the field exists).
/// </summary>
public sealed record ListPage<T>(
    IReadOnlyList<T> Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>The <c>?limit=&amp;cursor=</c> of a list endpoint: checked the same everywhere, and paging for lists a store returns whole.</summary>
internal static class Paging
{
    public const string CursorRule = "must be a next_cursor from an earlier page.";

    /// <summary>The field errors of a list request, or null when it is valid.</summary>
    public static Dictionary<string, string[]>? Validate(int? limit, int maxLimit, string? cursor, Func<string, bool> isCursor)
    {
        var errors = new Dictionary<string, string[]>();
        if (limit is { } n && (n < 1 || n > maxLimit))
        {
            errors["limit"] = [$"must be between 1 and {maxLimit}."];
        }

        // An empty ?cursor= is the first page, as no cursor is.
        if (!string.IsNullOrEmpty(cursor) && !isCursor(cursor))
        {
            errors["cursor"] = [CursorRule];
        }

        return errors.Count > 0 ? errors : null;
    }

    /// <summary>
    /// A page of a list that the store returns whole (API keys, domains, webhooks, a webhook's
    /// deliveries: each bounded or small), in (creation time, key) order. The cursor is the position
    /// of the page's last item, not its index, so a page is right even when items were added or
    /// deleted since the previous one, the cursor's own item included.
    /// </summary>
    public static ListPage<TOut> Slice<T, TOut>(
        IEnumerable<T> items, Func<T, DateTimeOffset> createdAt, Func<T, string> key, bool newestFirst, int limit, string? cursor, Func<T, TOut> map)
    {
        var ordered = newestFirst
            ? items.OrderByDescending(createdAt).ThenByDescending(key, StringComparer.Ordinal)
            : items.OrderBy(createdAt).ThenBy(key, StringComparer.Ordinal);
        var rest = !string.IsNullOrEmpty(cursor) && TryParsePosition(cursor, out var ticks, out var after)
            ? ordered.Where(i => Compare(createdAt(i).UtcTicks, key(i), ticks, after) * (newestFirst ? -1 : 1) > 0)
            : ordered;
        var page = rest.Take(limit + 1).ToList();
        var next = page.Count > limit ? Position(createdAt(page[limit - 1]), key(page[limit - 1])) : null;
        return new ListPage<TOut>([.. page.Take(limit).Select(map)], next);
    }

    /// <summary>Whether <paramref name="cursor"/> is a position <see cref="Slice"/> made for items whose keys pass <paramref name="isKey"/>.</summary>
    public static bool IsPosition(string cursor, Func<string, bool> isKey) =>
        TryParsePosition(cursor, out _, out var key) && isKey(key);

    private static string Position(DateTimeOffset createdAt, string key) =>
        createdAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + "." + key;

    private static bool TryParsePosition(string cursor, out long ticks, out string key)
    {
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        key = dot < 0 ? "" : cursor[(dot + 1)..];
        ticks = 0;
        return dot is > 0 and <= 19
            && cursor.AsSpan(0, dot).IndexOfAnyExceptInRange('0', '9') < 0
            && long.TryParse(cursor.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out ticks)
            && key.Length > 0;
    }

    private static int Compare(long ticks, string key, long afterTicks, string afterKey) =>
        ticks != afterTicks ? ticks.CompareTo(afterTicks) : string.CompareOrdinal(key, afterKey);
}
