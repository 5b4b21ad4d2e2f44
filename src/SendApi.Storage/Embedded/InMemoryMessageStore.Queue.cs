using SendApi.Core.Messages;
using SendApi.Core.Messages.Stats;
using SendApi.Core.Queue;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The queue view's reads and actions (<see cref="InMemoryQueueView"/>), under the store's lock so
/// that they see and change the queue exactly as a claim or a completion would.
/// </summary>
internal sealed partial class InMemoryMessageStore
{
    public QueueSnapshot Snapshot(DateTimeOffset now, int scanLimit)
    {
        lock (_gate)
        {
            var nowMs = now.ToUnixTimeMilliseconds();
            var dueNow = _due.TakeWhile(d => d.Due <= nowMs).Count();
            var inFlight = _claims.Keys.Count(id => InFlight(id, nowMs));
            return QueueSnapshot.Of(now, _due.Count, dueNow, inFlight, Scan(nowMs, scanLimit));
        }
    }

    public int RetryDomainNow(string domain, DateTimeOffset now, int scanLimit)
    {
        lock (_gate)
        {
            var retried = 0;
            foreach (var entry in Scan(now.ToUnixTimeMilliseconds(), scanLimit))
            {
                var updates = QueueRules.RetryNow(entry, domain, now);
                if (updates.Count == 0)
                {
                    continue;
                }

                ApplyAttempt(_messages[entry.Envelope.Id], updates);
                if (_dueById[entry.Envelope.Id] > now.ToUnixTimeMilliseconds())
                {
                    SetDue(entry.Envelope.Id, now);
                }

                retried++;
            }

            return retried;
        }
    }

    public CancelResult Cancel(string id, DateTimeOffset now, string detail)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(id, out var entry))
            {
                return CancelResult.NotFound;
            }

            if (!_dueById.ContainsKey(id))
            {
                return CancelResult.AlreadyFinished;
            }

            if (InFlight(id, now.ToUnixTimeMilliseconds()))
            {
                return CancelResult.InFlight;
            }

            // A lapsed claim's holder may still be alive: voiding the claim keeps it from writing over the cancel.
            _claims.Remove(id);
            var (updates, events) = QueueRules.Cancel(entry.Envelope, entry.Recipients, now, detail);
            Apply(entry, updates);
            entry.SearchStatus = MessageStatus.Of(entry.Recipients);
            entry.Events.AddRange(events);
            webhooks?.AddIfWanted(entry.Envelope, events);
            _stats.Count(entry.Envelope, StatsEvents.Of(events));
            RemoveDue(id);
            entry.Mime = ReadOnlyMemory<byte>.Empty;
            entry.Variants = MessageVariants.None;
            entry.Accepted.Clear();
            _finished.Enqueue((time.GetUtcNow(), id));
            return CancelResult.Cancelled;
        }
    }

    /// <summary>Claimed, and its lease (its due time while claimed) not yet run out.</summary>
    private bool InFlight(string id, long nowMs) => _claims.ContainsKey(id) && _dueById.TryGetValue(id, out var due) && due > nowMs;

    private List<QueueEntry> Scan(long nowMs, int scanLimit)
    {
        var entries = new List<QueueEntry>();
        foreach (var (due, id) in _due.Take(scanLimit))
        {
            if (_messages.TryGetValue(id, out var m))
            {
                entries.Add(new QueueEntry(m.Envelope, [.. m.Recipients], DateTimeOffset.FromUnixTimeMilliseconds(due), InFlight(id, nowMs)));
            }
        }

        return entries;
    }
}
