using SendApi.Core.Domains;

namespace SendApi.Storage.Embedded;

internal sealed class InMemoryDomainStore : IDomainStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string AccountId, string Name), SenderDomain> _domains = [];
    private readonly Dictionary<(string AccountId, string Name), DomainVerification> _verifications = [];

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
            _verifications.Remove((accountId, name));
            return Task.FromResult(_domains.Remove((accountId, name)));
        }
    }

    public Task<IReadOnlyList<SenderDomain>> ListAllAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<SenderDomain>>([.. _domains.Values]);
        }
    }

    public Task SaveVerificationAsync(string accountId, string name, DomainVerification verification, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _verifications[(accountId, name)] = verification;
            return Task.CompletedTask;
        }
    }

    public Task<DomainVerification?> FindVerificationAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_verifications.GetValueOrDefault((accountId, name)));
        }
    }

    public Task<IReadOnlyDictionary<string, DomainVerification>> ListVerificationsAsync(string accountId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyDictionary<string, DomainVerification>>(
                _verifications.Where(kv => kv.Key.AccountId == accountId).ToDictionary(kv => kv.Key.Name, kv => kv.Value, StringComparer.Ordinal));
        }
    }
}
