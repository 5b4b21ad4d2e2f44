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

    public Task StoreAsync(InboundEmail email, ReadOnlyMemory<byte> raw, TimeSpan retention, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ForgetExpired();
            _byId[email.Id] = (email, raw.ToArray(), time.GetUtcNow() + retention);
            if (!_byAccount.TryGetValue(email.AccountId, out var ids))
            {
                _byAccount[email.AccountId] = ids = new SortedSet<string>(StringComparer.Ordinal);
            }

            ids.Add(email.Id);
            webhooks?.AddInboundIfWanted(email);
        }

        return Task.CompletedTask;
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
            if (!_byAccount.TryGetValue(accountId, out var ids))
            {
                return Task.FromResult(new InboundPage([], null));
            }

            var older = cursor is null ? ids.Reverse() : ids.GetViewBetween(ids.Min!, cursor).Reverse().Where(id => id != cursor);
            var page = older.Select(id => Live(accountId, id)?.Email).OfType<InboundEmail>().Take(limit + 1).ToList();
            return Task.FromResult(page.Count > limit
                ? new InboundPage(page[..limit], page[limit - 1].Id)
                : new InboundPage(page, null));
        }
    }

    private (InboundEmail Email, byte[] Raw, DateTimeOffset Expires)? Live(string accountId, string id) =>
        _byId.TryGetValue(id, out var entry) && entry.Email.AccountId == accountId && entry.Expires > time.GetUtcNow()
            ? entry
            : null;

    private void ForgetExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _byId.Where(e => e.Value.Expires <= now).ToList())
        {
            _byId.Remove(id);
            _byAccount[entry.Email.AccountId].Remove(id);
        }
    }
}
