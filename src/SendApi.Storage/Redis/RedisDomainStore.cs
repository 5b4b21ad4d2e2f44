using System.Text;
using SendApi.Core.Domains;
using StackExchange.Redis;

namespace SendApi.Storage.Redis;

/// <summary>
/// One hash per account, <c>domains:{account}</c>: field = domain name, value = the domain's JSON,
/// its private key included (PKCS#8 PEM). The signer knows the message's account, so finding the
/// key for a From domain is one HGET, and no index by domain name is needed. Every operation is a
/// single command (or one MULTI), so each is atomic without a script.
/// The last DNS check of each domain lives beside it in <c>domain-checks:{account}</c> (field =
/// domain name): written by a check that may race a deletion, it carries the selector it checked,
/// so a stale one never passes for the check of a newer key.
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
        var json = await Db.HashGetAsync(Domains(accountId), name, flags: RedisReads.Primary);
        return json.IsNull ? null : StorageJson.Deserialize<SenderDomain>(json!);
    }

    public async Task<IReadOnlyList<SenderDomain>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        var all = await Db.HashValuesAsync(Domains(accountId), flags: RedisReads.Primary);
        return [.. all.Select(v => StorageJson.Deserialize<SenderDomain>(v!)).OrderBy(d => d.CreatedAt).ThenBy(d => d.Name, StringComparer.Ordinal)];
    }

    public async Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        var transaction = Db.CreateTransaction();
        var deleted = transaction.HashDeleteAsync(Domains(accountId), name);
        _ = transaction.HashDeleteAsync(Checks(accountId), name);
        await transaction.ExecuteAsync();
        return await deleted;
    }

    public async Task<IReadOnlyList<SenderDomain>> ListAllAsync(CancellationToken cancellationToken)
    {
        // SCAN rather than an index of accounts: domains registered before the re-check existed
        // have no index entry, and the job that calls this runs a few times an hour at most.
        var pattern = Glob(DomainsPrefix) + "*";
        var domains = new List<SenderDomain>();
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(Db.Database, pattern, pageSize: 500).WithCancellation(cancellationToken))
            {
                domains.AddRange((await Db.HashValuesAsync(key, flags: RedisReads.Primary)).Select(v => StorageJson.Deserialize<SenderDomain>(v!)));
            }
        }

        return domains;
    }

    public Task SaveVerificationAsync(string accountId, string name, DomainVerification verification, CancellationToken cancellationToken) =>
        Db.HashSetAsync(Checks(accountId), name, StorageJson.Serialize(verification));

    public async Task<DomainVerification?> FindVerificationAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        var json = await Db.HashGetAsync(Checks(accountId), name, flags: RedisReads.Primary);
        return json.IsNull ? null : StorageJson.Deserialize<DomainVerification>(json!);
    }

    public async Task<IReadOnlyDictionary<string, DomainVerification>> ListVerificationsAsync(string accountId, CancellationToken cancellationToken)
    {
        var all = await Db.HashGetAllAsync(Checks(accountId), flags: RedisReads.Primary);
        return all.ToDictionary(e => (string)e.Name!, e => StorageJson.Deserialize<DomainVerification>(e.Value!), StringComparer.Ordinal);
    }

    private string DomainsPrefix => $"{keys.Prefix}domains:";

    // Account ids are letters, digits and "_.-" (the API keys' rule), so they cannot break out of the key.
    private string Domains(string accountId) => DomainsPrefix + accountId;

    private string Checks(string accountId) => $"{keys.Prefix}domain-checks:{accountId}";

    /// <summary>The text matched literally by a SCAN pattern.</summary>
    private static string Glob(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
