namespace SendApi.Storage;

/// <summary>What an acknowledgement stands for (<c>Storage__Durability</c>); docs/reliability.md has the guarantees.</summary>
internal enum DurabilityLevel
{
    /// <summary>The write is in Redis's memory (and its AOF within the server's fsync policy, everysec by default).</summary>
    Process,

    /// <summary>The write is on the primary's disk: <c>appendfsync always</c>, or <c>WAITAOF</c> on Redis 7.2 and later.</summary>
    Fsync,

    /// <summary>The write is on <c>Storage__Replicas</c> replicas (<c>WAIT</c>).</summary>
    Replica,
}
