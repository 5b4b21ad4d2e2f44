using SendApi.Core.Domains;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// One hash per account, <c>domains:{account}</c>: field = domain name, value = the domain's JSON,
/// its private key included (PKCS#8 PEM). The signer knows the message's account, so finding the
/// key for a From domain is one HGET, and no index by domain name is needed. Every operation is a
/// single command, so each is atomic without a script.
/// </summary>
internal sealed class RedisDomainStore(IConnectionMultiplexer redis, RedisKeys keys) : IDomainStore
{
    private IDatabase Db => redis.GetDatabase();

    public Task<bool> AddAsync(SenderDomain domain, CancellationToken cancellationToken) =>
        // HSETNX: the check for an existing domain and the write are one step, so two concurrent
        // registrations of the same name cannot both win.
        Db.HashSetAsync(Domains(domain.AccountId), domain.Name, StorageJson.Serialize(domain), When.NotExists);

    public async Task<SenderDomain?> FindAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(Domains(accountId), name);
        return json.IsNull ? null : StorageJson.Deserialize<SenderDomain>(json!);
    }

    public async Task<IReadOnlyList<SenderDomain>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        var all = await Db.HashValuesAsync(Domains(accountId));
        return [.. all.Select(v => StorageJson.Deserialize<SenderDomain>(v!)).OrderBy(d => d.CreatedAt).ThenBy(d => d.Name, StringComparer.Ordinal)];
    }

    public Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken) =>
        Db.HashDeleteAsync(Domains(accountId), name);

    // Account ids are letters, digits and "_.-" (the API keys' rule), so they cannot break out of the key.
    private string Domains(string accountId) => $"{keys.Prefix}domains:{accountId}";
}
