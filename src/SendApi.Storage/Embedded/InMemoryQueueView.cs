using SendApi.Core.Messages;
using SendApi.Core.Queue;

namespace SendApi.Storage.Embedded;

/// <summary>The queue view of the embedded store; the recent failures are a short list in memory.</summary>
internal sealed class InMemoryQueueView(InMemoryMessageStore messages, InMemoryDomainThrottle throttle) : IQueueView
{
    private readonly Lock _gate = new();
    private readonly LinkedList<RecentFailure> _failures = [];

    public Task<QueueSnapshot> SnapshotAsync(DateTimeOffset now, int scanLimit, CancellationToken cancellationToken) =>
        Task.FromResult(messages.Snapshot(now, scanLimit));

    public Task<IReadOnlyDictionary<string, DomainSlowdown>> SlowdownsAsync(IReadOnlyCollection<string> domains, CancellationToken cancellationToken) =>
        Task.FromResult(throttle.Slowdowns(domains));

    public Task<int> RetryDomainNowAsync(string domain, DateTimeOffset now, int scanLimit, CancellationToken cancellationToken) =>
        Task.FromResult(messages.RetryDomainNow(domain, now, scanLimit));

    public Task<CancelResult> CancelAsync(string id, DateTimeOffset now, string detail, CancellationToken cancellationToken) =>
        Task.FromResult(messages.Cancel(id, now, detail));

    public Task NoteFailuresAsync(string id, IReadOnlyList<MessageEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var e in events.Where(QueueRules.IsFailure))
            {
                _failures.AddFirst(new RecentFailure(id, e));
                if (_failures.Count > QueueRules.RecentFailuresKept)
                {
                    _failures.RemoveLast();
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecentFailure>> RecentFailuresAsync(int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<RecentFailure>>([.. _failures.Take(max)]);
        }
    }
}
