using SendApi.Core.Abuse;

namespace SendApi.Storage.Embedded;

/// <summary>Embedded there is one instance: the SMTP server's own count is the whole count.</summary>
internal sealed class InMemoryAuthFailures : ISharedAuthFailures
{
    public Task<int?> CountAsync(string address, TimeSpan window, CancellationToken cancellationToken) => Task.FromResult<int?>(null);

    public Task<int?> RecordAsync(string address, TimeSpan window, int cap, CancellationToken cancellationToken) => Task.FromResult<int?>(null);
}
