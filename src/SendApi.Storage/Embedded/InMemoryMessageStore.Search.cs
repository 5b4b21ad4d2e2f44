using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Messages.Stats;

namespace SendApi.Storage.Embedded;

/// <summary>Search and stats read the embedded store under its lock, so they see each step whole.</summary>
internal sealed partial class InMemoryMessageStore : IMessageSearch, IMessageStats
{
    public Task<MessagePage> SearchAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_search.Search(query, id =>
                _messages.TryGetValue(id, out var entry) ? (entry.Envelope, entry.SearchStatus) : null));
        }
    }

    public Task<IReadOnlyList<HourStats>> ReadAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stats.ForgetExpired(time.GetUtcNow());
            return Task.FromResult(_stats.Read(query));
        }
    }
}
