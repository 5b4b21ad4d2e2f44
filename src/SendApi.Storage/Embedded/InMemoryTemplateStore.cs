using SendApi.Core.Templates;

namespace SendApi.Storage.Embedded;

internal sealed class InMemoryTemplateStore : ITemplateStore
{
    private readonly Lock _gate = new();

    // Per account, by name (ordinal order for paging), every version in order: [0] is version 1.
    private readonly Dictionary<string, SortedDictionary<string, List<StoredTemplate>>> _accounts = [];

    public Task<StoredTemplate?> CreateAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var templates = Account(accountId);
            if (templates.ContainsKey(template.Name))
            {
                return Task.FromResult<StoredTemplate?>(null);
            }

            var first = template with { Version = 1 };
            templates[template.Name] = [first];
            return Task.FromResult<StoredTemplate?>(first);
        }
    }

    public Task<StoredTemplate?> AddVersionAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!Account(accountId).TryGetValue(template.Name, out var versions))
            {
                return Task.FromResult<StoredTemplate?>(null);
            }

            var next = template with { Version = versions.Count + 1 };
            versions.Add(next);
            return Task.FromResult<StoredTemplate?>(next);
        }
    }

    public Task<StoredTemplate?> FindAsync(string accountId, string name, int? version, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!Account(accountId).TryGetValue(name, out var versions))
            {
                return Task.FromResult<StoredTemplate?>(null);
            }

            var found = version switch
            {
                null => versions[^1],
                var v when v >= 1 && v <= versions.Count => versions[v.Value - 1],
                _ => null,
            };
            return Task.FromResult(found);
        }
    }

    public Task<TemplatePage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var page = Account(accountId)
                .Where(t => cursor is null || string.CompareOrdinal(t.Key, cursor) > 0)
                .Take(limit + 1)
                .Select(t => t.Value[^1])
                .ToList();
            var items = page.Take(limit).ToList();
            return Task.FromResult(new TemplatePage(items, page.Count > limit ? items[^1].Name : null));
        }
    }

    public Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Account(accountId).Remove(name));
        }
    }

    private SortedDictionary<string, List<StoredTemplate>> Account(string accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var templates))
        {
            templates = new SortedDictionary<string, List<StoredTemplate>>(StringComparer.Ordinal);
            _accounts[accountId] = templates;
        }

        return templates;
    }
}
