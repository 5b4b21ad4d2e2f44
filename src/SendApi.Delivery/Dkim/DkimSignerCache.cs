using System.Collections.Concurrent;
using System.Text;
using MimeKit.Cryptography;
using SendApi.Core.Domains;

namespace SendApi.Delivery.Dkim;

/// <summary>
/// MimeKit signers per (account, From domain), "no key" answers included, kept for
/// <see cref="Ttl"/>. The signer runs once per message attempt; without this each attempt would
/// cost a store round trip and a PEM parse. A change made through this process evicts at once
/// (<see cref="IDomainChangeListener"/>); one made on another instance is seen within the TTL.
/// </summary>
internal sealed class DkimSignerCache(IDomainStore domains, TimeProvider time) : IDomainChangeListener
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    // Each entry is one (account, domain) pair a message was sent from; the bound stops an account
    // that sends from many throw-away domains from growing the cache without limit.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string AccountId, string Domain), Entry> _entries = new();
    private long _changes;

    /// <summary>The signer for the account's domain, or null when the account has not registered it.</summary>
    public async ValueTask<DkimSigner?> GetAsync(string accountId, string domain, CancellationToken cancellationToken)
    {
        var key = (accountId, domain);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Signer;
        }

        var changesBefore = Interlocked.Read(ref _changes);
        var stored = await domains.FindAsync(accountId, domain, cancellationToken);
        var entry = new Entry(stored is null ? null : Create(stored), now + Ttl);
        if (_entries.Count >= MaxEntries)
        {
            Prune(now);
        }

        _entries[key] = entry;

        // A change that raced with the read may have evicted before the write above, and what was
        // read may be the state before it (a deleted key would sign on for a whole TTL): then keep
        // nothing. Evict counts before it removes, so one of the two always sees the other.
        if (Interlocked.Read(ref _changes) != changesBefore)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        return entry.Signer;
    }

    public void DomainChanged(string accountId, string name)
    {
        Interlocked.Increment(ref _changes);
        _entries.TryRemove((accountId, name), out _);
    }

    private static DkimSigner? Create(SenderDomain domain)
    {
        if (domain.Dkim.Algorithm != DkimKey.RsaSha256)
        {
            return null;
        }

        using var pem = new MemoryStream(Encoding.ASCII.GetBytes(domain.Dkim.PrivateKeyPem), writable: false);
        return new DkimSigner(pem, domain.Name, domain.Dkim.Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            // Relaxed/relaxed survives what relays commonly do to a message in transit: refolded
            // headers, changed header-name case, trailing whitespace, extra empty lines at the end.
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
    }

    private sealed record Entry(DkimSigner? Signer, DateTimeOffset Expires);
}
