using System.Collections.Concurrent;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains.Verification;

/// <summary>What the intake knows about a message's From domain: whether the account registered it, and whether its records are verified.</summary>
/// <param name="Problem">Why mail from it may land in spam, naming the failing records; null when verified or not registered.</param>
internal sealed record DomainStanding(string? Domain, bool Registered, bool Verified, string? Problem);

/// <summary>
/// The send-time check of the From domain, from the stored verification (never a DNS query per
/// message), kept per (account, domain) for <see cref="Ttl"/>. A change made through this process
/// (registered, deleted, verified) evicts at once; one made on another instance is seen within the TTL.
/// </summary>
internal sealed class SenderDomainStanding(IDomainStore domains, TimeProvider time) : IDomainChangeListener
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    // One entry per (account, From domain) mail was sent from; the bound keeps an account that
    // sends from many throw-away domains from growing the cache without limit.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string AccountId, string Domain), Entry> _entries = new();
    private long _changes;

    public async ValueTask<DomainStanding> CheckAsync(string accountId, string? domain, CancellationToken cancellationToken)
    {
        if (domain is null)
        {
            return new DomainStanding(null, Registered: false, Verified: false, Problem: null);
        }

        var key = (accountId, domain);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Standing;
        }

        var changesBefore = Interlocked.Read(ref _changes);
        var entry = new Entry(await ReadAsync(accountId, domain, cancellationToken), now + Ttl);
        if (_entries.Count >= MaxEntries)
        {
            foreach (var (old, value) in _entries)
            {
                if (value.Expires <= now)
                {
                    _entries.TryRemove(old, out _);
                }
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }
        }

        _entries[key] = entry;

        // A change that raced with the read may have evicted before the write above: keep nothing then.
        if (Interlocked.Read(ref _changes) != changesBefore)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        return entry.Standing;
    }

    public void DomainChanged(string accountId, string name) => Forget(accountId, name);

    public void Forget(string accountId, string name)
    {
        Interlocked.Increment(ref _changes);
        _entries.TryRemove((accountId, name), out _);
    }

    /// <summary>"DKIM TXT s1._domainkey.acme.test is missing; DMARC TXT _dmarc.acme.test is mismatch".</summary>
    public static string Describe(IEnumerable<RecordCheck> failing) =>
        string.Join("; ", failing.Select(r => $"{Label(r.Purpose)} {r.Type} {r.Name} is {r.Status}"));

    private async Task<DomainStanding> ReadAsync(string accountId, string domain, CancellationToken cancellationToken)
    {
        if (await domains.FindAsync(accountId, domain, cancellationToken) is not { } registered)
        {
            return new DomainStanding(domain, Registered: false, Verified: false, Problem: null);
        }

        var verification = await domains.FindVerificationAsync(accountId, domain, cancellationToken);
        if (verification is null || verification.Selector != registered.Dkim.Selector)
        {
            return new DomainStanding(domain, Registered: true, Verified: false,
                $"Sender domain {domain} has not been verified yet (POST /domains/{domain}/verify checks its DNS records); its mail may land in spam.");
        }

        return verification.IsVerified
            ? new DomainStanding(domain, Registered: true, Verified: true, Problem: null)
            : new DomainStanding(domain, Registered: true, Verified: false,
                $"Sender domain {domain} is not verified ({Describe(verification.Failing)}, checked {verification.CheckedAt:u}); its mail may land in spam.");
    }

    private static string Label(string purpose) => purpose switch
    {
        RecordPurposes.Dkim => "DKIM",
        RecordPurposes.Spf => "SPF",
        RecordPurposes.ReturnPathMx => "return-path",
        RecordPurposes.Dmarc => "DMARC",
        _ => purpose,
    };

    private sealed record Entry(DomainStanding Standing, DateTimeOffset Expires);
}
