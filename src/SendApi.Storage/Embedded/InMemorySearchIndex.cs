using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;

namespace SendApi.Storage.Embedded;

/// <summary>
/// The embedded store's search: per account the <see cref="SearchEntries"/> of its messages in
/// order, scanned newest first with the filters checked against the message itself (its status
/// as of the last recorded step, as on Redis). Not thread-safe: the message store calls it under its lock.
/// </summary>
internal sealed class InMemorySearchIndex
{
    // Above every entry (entries are lower-case hex).
    private const string Top = "g";

    private readonly Dictionary<string, SortedSet<string>> _byAccount = new(StringComparer.Ordinal);

    public void Add(MessageEnvelope envelope)
    {
        if (!_byAccount.TryGetValue(envelope.AccountId, out var entries))
        {
            _byAccount[envelope.AccountId] = entries = new SortedSet<string>(StringComparer.Ordinal);
        }

        entries.Add(SearchEntries.Of(envelope.CreatedAt, envelope.Id));
    }

    public void Remove(MessageEnvelope envelope)
    {
        if (_byAccount.TryGetValue(envelope.AccountId, out var entries)
            && entries.Remove(SearchEntries.Of(envelope.CreatedAt, envelope.Id))
            && entries.Count == 0)
        {
            _byAccount.Remove(envelope.AccountId);
        }
    }

    /// <param name="find">The message of an id, with the status search sees.</param>
    public MessagePage Search(MessageQuery query, Func<string, (MessageEnvelope Envelope, string Status)?> find)
    {
        if (!_byAccount.TryGetValue(query.AccountId, out var entries))
        {
            return new MessagePage([], null);
        }

        var upper = query.Until is { } until ? SearchEntries.TimeBound(until) : Top;
        if (query.Cursor is { } cursor && string.CompareOrdinal(cursor, upper) < 0)
        {
            upper = cursor;
        }

        var lower = query.Since is { } since ? SearchEntries.TimeBound(since) : "";
        if (string.CompareOrdinal(lower, upper) >= 0)
        {
            return new MessagePage([], null);
        }

        // One more than asked says whether a page follows.
        var found = new List<(string Entry, MessageSummary Summary)>();
        foreach (var entry in entries.GetViewBetween(lower, upper).Reverse())
        {
            if (string.CompareOrdinal(entry, upper) >= 0 || find(SearchEntries.IdOf(entry)) is not { } message)
            {
                continue;
            }

            var status = message.Status;
            if (Matches(query, message.Envelope, status))
            {
                found.Add((entry, MessageSummary.Of(message.Envelope, status)));
                if (found.Count > query.Limit)
                {
                    return new MessagePage([.. found.Take(query.Limit).Select(f => f.Summary)], found[query.Limit - 1].Entry);
                }
            }
        }

        return new MessagePage([.. found.Select(f => f.Summary)], null);
    }

    private static bool Matches(MessageQuery query, MessageEnvelope envelope, string status) =>
        (query.KeyId is null || query.KeyId == envelope.KeyId)
        && (query.Status is null || query.Status == status)
        && (query.Tag is null || envelope.Tags.Contains(query.Tag, StringComparer.Ordinal))
        && (query.From is null || SearchEntries.Address(envelope.Sender) == SearchEntries.Address(query.From))
        && (query.Recipient is null || envelope.Recipients.Any(r => SearchEntries.Address(r.Address) == SearchEntries.Address(query.Recipient)));
}
