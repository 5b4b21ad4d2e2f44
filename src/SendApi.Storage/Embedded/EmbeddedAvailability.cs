using SendApi.Core.Storage;

namespace SendApi.Storage.Embedded;

/// <summary>The embedded store lives in the process: it is never unreachable.</summary>
internal sealed class EmbeddedAvailability : IStorageAvailability
{
    public bool IsDown => false;

    public TimeSpan RetryAfter => TimeSpan.FromSeconds(1);

    public bool TryNoteOutage(Exception exception) => false;
}
