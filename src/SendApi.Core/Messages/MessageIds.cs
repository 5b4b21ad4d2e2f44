namespace SendApi.Core.Messages;

public static class MessageIds
{
    /// <summary>Time-ordered (UUIDv7) ids, so ids sort by acceptance time in logs and listings.</summary>
    public static string New() => Guid.CreateVersion7().ToString("N");
}
