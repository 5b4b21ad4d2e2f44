namespace SendApi.Core.Instances;

/// <summary>
/// This process among the instances sharing a store. What it holds there (delivery claims, domain
/// connection slots) carries its id as a prefix, <c>{id}|…</c>, so that once its heartbeat lapses
/// another instance can tell what was its and take it over.
/// </summary>
public sealed class ProcessInstance
{
    public const char Separator = '|';

    public string Id { get; } =
        $"{Environment.MachineName.Replace(Separator, '-')}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A token this instance holds: its id, the separator, then <paramref name="local"/>.</summary>
    public string Token(string local) => $"{Id}{Separator}{local}";
}
