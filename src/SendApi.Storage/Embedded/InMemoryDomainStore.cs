using SendApi.Core.Domains;

namespace SendApi.Storage.Embedded;

internal sealed class InMemoryDomainStore : IDomainStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string AccountId, string Name), SenderDomain> _domains = [];

    public Task<bool> AddAsync(SenderDomain domain, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_domains.TryAdd((domain.AccountId, domain.Name), domain));
        }
    }

    public Task<SenderDomain?> FindAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_domains.GetValueOrDefault((accountId, name)));
        }
    }

    public Task<IReadOnlyList<SenderDomain>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<SenderDomain>>(
                [.. _domains.Values.Where(d => d.AccountId == accountId).OrderBy(d => d.CreatedAt).ThenBy(d => d.Name, StringComparer.Ordinal)]);
        }
    }

    public Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_domains.Remove((accountId, name)));
        }
    }
}
