using SendApi.Core.Storage;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded store is the process's memory: a write is as durable as it gets when it returns
/// (only <c>Storage__Durability=process</c> is allowed with it).
/// </summary>
internal sealed class EmbeddedDurability : IWriteDurability
{
    public DurabilityMark Mark() => default;

    public Task EnsureAsync(DurabilityMark mark, CancellationToken cancellationToken) => Task.CompletedTask;
}
