using SendApi.Core.Abuse;

namespace SendApi.Storage.Embedded;

/// <summary>Embedded there is one instance: the SMTP server's own count is the whole count.</summary>
internal sealed class InMemoryConnectionCounts : ISharedConnectionCounts
{
    public Task<bool?> TryOpenAsync(string address, string connection, int cap, CancellationToken cancellationToken) => Task.FromResult<bool?>(null);

    public void Close(string address, string connection)
    {
    }
}
