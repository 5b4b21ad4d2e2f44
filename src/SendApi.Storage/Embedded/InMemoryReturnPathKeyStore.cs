using SendApi.Core.Messages;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The return-path signing state of an embedded instance: the first proposal, for the life of
/// the process. A restart makes a new key, which loses nothing: the messages whose return paths
/// it signed are in memory and gone too.
/// </summary>
internal sealed class InMemoryReturnPathKeyStore : IReturnPathKeyStore
{
    private readonly Lock _gate = new();
    private ReturnPathSecret? _secret;

    public Task<ReturnPathSecret> GetOrAddAsync(ReturnPathSecret proposed, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_secret ??= proposed);
        }
    }
}
