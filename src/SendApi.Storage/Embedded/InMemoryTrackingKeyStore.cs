using SendApi.Core.Tracking;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The tracking key of an embedded instance: the first proposal, for the life of the process. A
/// restart makes a new one, so links in mail sent before it stop working (404); the suppressions
/// and timelines they would have written are gone with the process too. Set Tracking__SigningKey
/// to keep them working across restarts.
/// </summary>
internal sealed class InMemoryTrackingKeyStore : ITrackingKeyStore
{
    private readonly Lock _gate = new();
    private byte[]? _key;

    public Task<byte[]> GetOrAddAsync(byte[] proposed, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_key ??= proposed);
        }
    }
}
