using SendApi.Core.Messages;

namespace SendApi.Core.Queue;

/// <summary>
/// The delivery queue at one moment. <see cref="Messages"/>, <see cref="DueNow"/> and
/// <see cref="InFlight"/> count the whole queue; everything else comes from the first
/// <see cref="Scanned"/> entries by due time (all of them when <see cref="Scanned"/> equals
/// <see cref="Messages"/>).
/// </summary>
/// <param name="Messages">Messages with a recipient not yet final.</param>
/// <param name="DueNow">Due and waiting for a delivery job (a lapsed claim counts here: it is due again).</param>
/// <param name="InFlight">Claimed by a delivery job whose lease holds.</param>
/// <param name="DeferredMessages">Scanned messages with a recipient waiting for a retry after a temporary failure.</param>
/// <param name="OldestCreatedAt">When the oldest scanned message was accepted.</param>
public sealed record QueueSnapshot(
    DateTimeOffset At,
    int Messages,
    int DueNow,
    int InFlight,
    int Scanned,
    int DeferredMessages,
    DateTimeOffset? OldestCreatedAt,
    IReadOnlyList<DomainQueue> Domains)
{
    /// <summary>Waiting for a later time: a retry, or a domain's limit.</summary>
    public int ScheduledLater => Math.Max(0, Messages - DueNow - InFlight);

    public bool IsPartial => Scanned < Messages;

    public static QueueSnapshot Of(DateTimeOffset at, int messages, int dueNow, int inFlight, IReadOnlyList<QueueEntry> scanned) => new(
        at,
        messages,
        dueNow,
        inFlight,
        scanned.Count,
        scanned.Count(e => e.Recipients.Any(r => r.Status == RecipientStatus.Deferred)),
        scanned.Count == 0 ? null : scanned.Min(e => e.Envelope.CreatedAt),
        DomainQueue.Of(scanned));
}

/// <summary>One destination domain's queued recipients (not yet final) among the scanned messages.</summary>
/// <param name="Queued">Recipients not yet final.</param>
/// <param name="Deferred">Of those, recipients waiting for a retry after a temporary failure.</param>
/// <param name="LastReply">The newest reply a queued recipient got (what the domain says now).</param>
/// <param name="NextAttemptAt">The earliest next attempt of a queued recipient.</param>
public sealed record DomainQueue(
    string Domain,
    int Queued,
    int Deferred,
    int InFlight,
    DateTimeOffset OldestCreatedAt,
    SmtpReply? LastReply,
    DateTimeOffset? LastReplyAt,
    DateTimeOffset? NextAttemptAt)
{
    /// <summary>Per domain, most queued first.</summary>
    public static IReadOnlyList<DomainQueue> Of(IEnumerable<QueueEntry> entries)
    {
        var rows = entries
            .SelectMany(e => e.Recipients
                .Select((state, i) => (Domain: e.Envelope.Recipients[i].Domain, State: state, e.Envelope.CreatedAt, e.InFlight))
                .Where(r => !r.State.Status.IsFinal()))
            .GroupBy(r => r.Domain, StringComparer.Ordinal)
            .Select(g =>
            {
                var replied = g.Select(r => r.State).Where(s => s.LastReply is not null).MaxBy(s => s.UpdatedAt);
                return new DomainQueue(
                    g.Key,
                    g.Count(),
                    g.Count(r => r.State.Status == RecipientStatus.Deferred),
                    g.Count(r => r.InFlight),
                    g.Min(r => r.CreatedAt),
                    replied?.LastReply,
                    replied?.UpdatedAt,
                    g.Where(r => !r.InFlight).Min(r => r.State.NextAttemptAt));
            });
        return [.. rows.OrderByDescending(d => d.Queued).ThenBy(d => d.Domain, StringComparer.Ordinal)];
    }
}
