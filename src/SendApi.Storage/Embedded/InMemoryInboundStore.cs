using SendApi.Core.Inbound;

namespace SendApi.Storage.Embedded;

/// <summary>
/// Received mail held in this process, like the embedded message store: lost on restart, dropped
/// after the retention. The webhook outbox entry is added under the same lock as the record.
/// </summary>
internal sealed class InMemoryInboundStore(TimeProvider time, InMemoryWebhookOutbox? webhooks = null) : IInboundStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (InboundEmail Email, byte[] Raw, DateTimeOffset Expires)> _byId = new(StringComparer.Ordinal);

    // Per account, ids in order; ids are time-ordered, so the order is arrival order.
    private readonly Dictionary<string, SortedSet<string>> _byAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Account, string Fingerprint), (string Id, DateTimeOffset Expires)> _seen = [];

    // What to forget, in the order it expires (each store's retention is the same setting).
    private readonly Queue<(DateTimeOffset Expires, string Id)> _expiry = new();
    private readonly Queue<(DateTimeOffset Expires, (string, string) Key)> _seenExpiry = new();

    public Task<string> StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, string fingerprint, TimeSpan retention, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ForgetExpired();
            var seenKey = (email.AccountId, fingerprint);
            if (_seen.TryGetValue(seenKey, out var earlier) && earlier.Expires > time.GetUtcNow())
            {
                return Task.FromResult(earlier.Id);
            }

            var now = time.GetUtcNow();
            _seen[seenKey] = (email.Id, now + InboundDedupe.Window);
            _seenExpiry.Enqueue((now + InboundDedupe.Window, seenKey));
            _byId[email.Id] = (email, raw.ToArray(), now + retention);
            _expiry.Enqueue((now + retention, email.Id));
            if (!_byAccount.TryGetValue(email.AccountId, out var ids))
            {
                _byAccount[email.AccountId] = ids = new SortedSet<string>(StringComparer.Ordinal);
            }

            ids.Add(email.Id);
            webhooks?.AddInboundIfWanted(email.ForWebhook());
        }

        return Task.FromResult(email.Id);
    }

    public Task<InboundEmail?> FindAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Live(accountId, id)?.Email);
        }
    }

    public Task<byte[]?> GetRawAsync(string accountId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Live(accountId, id)?.Raw);
        }
    }

    public Task<InboundPage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var older = _byAccount.TryGetValue(accountId, out var ids) ? NewestFirstPages.OlderThan(ids, cursor) : [];
            var live = older.Select(id => Live(accountId, id)?.Email).OfType<InboundEmail>();
            var (items, next) = NewestFirstPages.Take(live, limit, e => e.Id);
            return Task.FromResult(new InboundPage(items, next));
        }
    }

    private (InboundEmail Email, byte[] Raw, DateTimeOffset Expires)? Live(string accountId, string id) =>
        _byId.TryGetValue(id, out var entry) && entry.Email.AccountId == accountId && entry.Expires > time.GetUtcNow()
            ? entry
            : null;

    private void ForgetExpired()
    {
        var now = time.GetUtcNow();
        while (_expiry.TryPeek(out var next) && next.Expires <= now)
        {
            _expiry.Dequeue();
            if (_byId.Remove(next.Id, out var entry))
            {
                _byAccount[entry.Email.AccountId].Remove(next.Id);
            }
        }

        while (_seenExpiry.TryPeek(out var next) && next.Expires <= now)
        {
            _seenExpiry.Dequeue();
            if (_seen.TryGetValue(next.Key, out var seen) && seen.Expires <= now)
            {
                _seen.Remove(next.Key);
            }
        }
    }
}
