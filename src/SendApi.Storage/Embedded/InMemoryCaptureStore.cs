using SendApi.Core.Capture;

namespace SendApi.Storage.Embedded;

/// <summary>
/// Captured mail held in this process: lost on restart, like everything embedded. Ids are
/// time-ordered, so a sorted set of them is newest-last; one set for everyone (the bound and the
/// admin's view) and one per account.
/// </summary>
internal sealed class InMemoryCaptureStore : ICaptureStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (CapturedMessage Message, byte[] Raw)> _byId = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _all = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _byAccount = new(StringComparer.Ordinal);
    private long _bytes;

    public Task StoreAsync(CapturedMessage message, ReadOnlyMemory<byte> raw, int maxMessages, long maxBytes, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Remove(message.Id);
            _byId[message.Id] = (message, raw.ToArray());
            _bytes += raw.Length;
            _all.Add(message.Id);
            if (!_byAccount.TryGetValue(message.AccountId, out var ids))
            {
                _byAccount[message.AccountId] = ids = new SortedSet<string>(StringComparer.Ordinal);
            }

            ids.Add(message.Id);
            while (_all.Count > 1 && (_all.Count > maxMessages || _bytes > maxBytes))
            {
                Remove(_all.Min!);
            }
        }

        return Task.CompletedTask;
    }

    public Task<CapturedMessage?> FindAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Visible(scope, id)?.Message);
        }
    }

    public Task<byte[]?> GetRawAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Visible(scope, id)?.Raw);
        }
    }

    public Task<CapturePage> ListAsync(CaptureScope scope, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var older = Index(scope) is { } ids ? NewestFirstPages.OlderThan(ids, cursor) : [];
            var (items, next) = NewestFirstPages.Take(older.Select(id => _byId[id].Message), limit, m => m.Id);
            return Task.FromResult(new CapturePage(items, next));
        }
    }

    public Task<bool> DeleteAsync(CaptureScope scope, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Visible(scope, id) is null)
            {
                return Task.FromResult(false);
            }

            Remove(id);
            return Task.FromResult(true);
        }
    }

    public Task<int> ClearAsync(CaptureScope scope, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var ids = Index(scope)?.ToList() ?? [];
            foreach (var id in ids)
            {
                Remove(id);
            }

            return Task.FromResult(ids.Count);
        }
    }

    private SortedSet<string>? Index(CaptureScope scope) =>
        scope.AccountId is null ? _all : _byAccount.GetValueOrDefault(scope.AccountId);

    private (CapturedMessage Message, byte[] Raw)? Visible(CaptureScope scope, string id) =>
        _byId.TryGetValue(id, out var entry) && scope.Includes(entry.Message.AccountId) ? entry : null;

    private void Remove(string id)
    {
        if (!_byId.Remove(id, out var entry))
        {
            return;
        }

        _all.Remove(id);
        _bytes -= entry.Raw.Length;
        var ids = _byAccount[entry.Message.AccountId];
        ids.Remove(id);
        if (ids.Count == 0)
        {
            _byAccount.Remove(entry.Message.AccountId);
        }
    }
}
