namespace SendApi.Core.Messages;

public static class MessageIds
{
    private const int Length = 32;

    /// <summary>Time-ordered (UUIDv7) ids, so ids sort by acceptance time in logs and listings.</summary>
    public static string New() => Guid.CreateVersion7().ToString("N");

    /// <summary>
    /// Ids come from URLs and return paths: anything but 32 lower-case hex digits must not reach a
    /// store, where it would become part of a key (<c>msg:{id}:events</c> is another key's name).
    /// </summary>
    public static bool IsValid(string? id) =>
        id is { Length: Length } && !id.AsSpan().ContainsAnyExcept("0123456789abcdef");
}
