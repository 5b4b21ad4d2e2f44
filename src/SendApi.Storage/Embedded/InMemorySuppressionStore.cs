using SendApi.Core.Suppressions;

namespace SendApi.Storage.Embedded;

/// <summary>The embedded suppression lists: per account a sorted list by address (ordinal), under one lock.</summary>
internal sealed class InMemorySuppressionStore : ISuppressionStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedList<string, Suppression>> _accounts = new(StringComparer.Ordinal);

    public Task<SuppressionAddResult> AddAsync(string account, Suppression suppression, CancellationToken cancellationToken)
    {
        var entry = suppression with { Address = SuppressionAddresses.Normalize(suppression.Address) };
        lock (_gate)
        {
            if (!_accounts.TryGetValue(account, out var list))
            {
                _accounts[account] = list = new SortedList<string, Suppression>(StringComparer.Ordinal);
            }

            if (list.TryGetValue(entry.Address, out var existing))
            {
                return Task.FromResult(new SuppressionAddResult(existing, Added: false));
            }

            list.Add(entry.Address, entry);
            return Task.FromResult(new SuppressionAddResult(entry, Added: true));
        }
    }

    public Task<Suppression?> GetAsync(string account, string address, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_accounts.TryGetValue(account, out var list) && list.TryGetValue(SuppressionAddresses.Normalize(address), out var entry)
                ? entry
                : null);
        }
    }

    public Task<SuppressionPage> ListAsync(string account, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_accounts.TryGetValue(account, out var list))
            {
                return Task.FromResult(new SuppressionPage([], null));
            }

            var start = cursor is null ? 0 : FirstAfter(list.Keys, cursor);
            var items = list.Values.Skip(start).Take(limit).ToList();
            var next = items.Count == limit && start + limit < list.Count ? items[^1].Address : null;
            return Task.FromResult(new SuppressionPage(items, next));
        }
    }

    public Task<bool> RemoveAsync(string account, string address, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_accounts.TryGetValue(account, out var list) && list.Remove(SuppressionAddresses.Normalize(address)));
        }
    }

    public Task<IReadOnlyDictionary<string, Suppression>> FindAsync(string account, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Suppression>(StringComparer.Ordinal);
        lock (_gate)
        {
            if (_accounts.TryGetValue(account, out var list))
            {
                foreach (var address in addresses.Select(SuppressionAddresses.Normalize))
                {
                    if (list.TryGetValue(address, out var entry))
                    {
                        found[address] = entry;
                    }
                }
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, Suppression>>(found);
    }

    /// <summary>The index of the first key ordinally greater than <paramref name="cursor"/> (binary search; the keys are sorted).</summary>
    private static int FirstAfter(IList<string> keys, string cursor)
    {
        int low = 0, high = keys.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (string.CompareOrdinal(keys[mid], cursor) <= 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
