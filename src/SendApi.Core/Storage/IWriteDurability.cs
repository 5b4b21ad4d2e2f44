namespace SendApi.Core.Storage;

/// <summary>
/// What an acknowledgement (HTTP 202, SMTP 250) stands for (<c>Storage__Durability</c>): a caller
/// takes a <see cref="Mark"/> before the writes the acknowledgement covers and awaits
/// <see cref="EnsureAsync"/> after them, before it answers. At the default level, and embedded,
/// both are free.
/// </summary>
public interface IWriteDurability
{
    /// <summary>Taken before the writes: they count only if the store's connection is still the same one afterwards.</summary>
    DurabilityMark Mark();

    /// <summary>
    /// Returns once everything this process wrote since <paramref name="mark"/> is as durable as the
    /// level promises (on the primary's disk, or on N replicas).
    /// </summary>
    /// <exception cref="StorageNotDurableException">It is not, within the durability timeout: the
    /// writes happened and may stand, but they must not be acknowledged as durable.</exception>
    Task EnsureAsync(DurabilityMark mark, CancellationToken cancellationToken);
}

/// <summary>Which connection the writes went over, as <see cref="IWriteDurability.Mark"/> saw it.</summary>
public readonly record struct DurabilityMark(long Connection);
