namespace SendApi.Core.Messages.Stats;

/// <summary>
/// Counters of what happened to an account's mail, per hour, written in the same atomic steps as
/// the events they count (so they agree with the timelines), and kept for <see cref="StatsLimits.Retention"/>.
/// </summary>
public interface IMessageStats
{
    /// <summary>The hours from <paramref name="query"/>'s start (inclusive) to its end (exclusive), oldest first; hours with nothing are zeros.</summary>
    Task<IReadOnlyList<HourStats>> ReadAsync(StatsQuery query, CancellationToken cancellationToken);
}

/// <summary>Whole hours (UTC). At most one of <paramref name="Tag"/> and <paramref name="Domain"/>.</summary>
/// <param name="Domain">A recipient domain, in lower case.</param>
public sealed record StatsQuery(string AccountId, DateTimeOffset Start, DateTimeOffset End, string? Tag = null, string? Domain = null);

/// <summary>One hour's counts by event type (<see cref="StatsEvents.Counted"/>) and its delivery-latency histogram.</summary>
/// <param name="Latency">Delivered recipients per <see cref="LatencyHistogram"/> bucket.</param>
public sealed record HourStats(DateTimeOffset Start, IReadOnlyDictionary<string, long> Counts, IReadOnlyList<long> Latency);

public static class StatsLimits
{
    /// <summary>Counters are kept this long after their hour ends: a month of daily figures, and a day to spare.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(32);

    /// <summary>
    /// Per account and hour, at most this many distinct counters per dimension (tag, domain); a
    /// new tag or domain past it is counted as <see cref="Other"/>. An account mailing thousands of
    /// domains an hour so keeps a bounded number of keys and fields.
    /// </summary>
    public const int MaxFieldsPerHour = 10_000;

    /// <summary>Where counts of tags and domains past <see cref="MaxFieldsPerHour"/> go.</summary>
    public const string Other = "(other)";
}

/// <summary>Which events are counted, and what one counted event contributes.</summary>
public static class StatsEvents
{
    /// <summary>Counted types, in the order the API lists them.</summary>
    public static readonly IReadOnlyList<string> Counted =
    [
        MessageEventTypes.Queued, MessageEventTypes.Delivered, MessageEventTypes.Deferred, MessageEventTypes.Bounced,
        MessageEventTypes.Failed, MessageEventTypes.Complained, MessageEventTypes.Suppressed, MessageEventTypes.Canceled,
        MessageEventTypes.Unsubscribed, MessageEventTypes.Opened, MessageEventTypes.Clicked,
    ];

    /// <summary>
    /// The counts events add. Counts are per recipient: "queued" counts each recipient accepted for
    /// delivery (the timeline's one "queued" event speaks for them all), every other type counts the
    /// events of that type (a recipient deferred twice counts two deferrals). Throttled events are not counted.
    /// </summary>
    public static IEnumerable<StatsIncrement> Of(IEnumerable<MessageEvent> events) =>
        events.Where(e => e.Type != MessageEventTypes.Queued && Counted.Contains(e.Type) && e.Recipient is not null)
            .Select(e => new StatsIncrement(e.Type, e.At, DomainOf(e.Recipient!)));

    /// <summary>What accepting a message adds: one "queued" per recipient that starts queued, and its initial events.</summary>
    public static IEnumerable<StatsIncrement> OfAccept(NewMessage message)
    {
        var envelope = message.Envelope;
        var states = message.StartingStates();
        for (var i = 0; i < states.Length; i++)
        {
            if (states[i].Status == RecipientStatus.Queued)
            {
                yield return new StatsIncrement(MessageEventTypes.Queued, envelope.CreatedAt, envelope.Recipients[i].Domain);
            }
        }

        foreach (var increment in Of(message.InitialEvents))
        {
            yield return increment;
        }
    }

    public static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();

    /// <summary>Hours since the unix epoch: the counters' bucket.</summary>
    public static long HourOf(DateTimeOffset at) => Math.Max(0, at.ToUnixTimeSeconds()) / 3600;
}

/// <summary>One counted event: its type, when (its hour), and its recipient's domain.</summary>
public sealed record StatsIncrement(string Type, DateTimeOffset At, string Domain);
