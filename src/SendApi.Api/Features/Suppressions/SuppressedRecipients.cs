using SendApi.Core.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Suppressions;

/// <summary>
/// How the suppression list is enforced on every message <see cref="Messages.MessageIntake"/>
/// accepts, whatever its channel: one batch lookup of the recipients, then the suppressed ones
/// start final ("suppressed", with an event saying why) in the same atomic accept as the rest.
/// Delivery never attempts a final recipient, so nothing reaches them; the others go out.
/// </summary>
internal static class SuppressedRecipients
{
    /// <summary>The message with its suppressed recipients starting final, ready for the store's accept.</summary>
    public static async Task<NewMessage> MarkAsync(ISuppressionStore store, NewMessage message, CancellationToken cancellationToken) =>
        (await MarkAllAsync(store, [message], cancellationToken))[0];

    /// <summary>
    /// <see cref="MarkAsync"/> for several messages (a batch) with one lookup per account, not one
    /// per message.
    /// </summary>
    public static async Task<IReadOnlyList<NewMessage>> MarkAllAsync(ISuppressionStore store, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, IReadOnlyDictionary<string, Suppression>>(StringComparer.Ordinal);
        foreach (var account in messages.GroupBy(m => m.Envelope.AccountId, StringComparer.Ordinal))
        {
            var addresses = account.SelectMany(m => m.Envelope.Recipients.Select(r => r.Address)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            found[account.Key] = await store.FindAsync(account.Key, addresses, cancellationToken);
        }

        return [.. messages.Select(m => Mark(m, found[m.Envelope.AccountId]))];
    }

    private static NewMessage Mark(NewMessage message, IReadOnlyDictionary<string, Suppression> found)
    {
        var envelope = message.Envelope;
        var states = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();
        for (var i = 0; i < envelope.Recipients.Count; i++)
        {
            var address = envelope.Recipients[i].Address;
            if (found.TryGetValue(SuppressionAddresses.Normalize(address), out var suppression))
            {
                states.Add(new RecipientUpdate(i, new RecipientState(RecipientStatus.Suppressed, 0, null, null, envelope.CreatedAt)));
                events.Add(new MessageEvent(MessageEventTypes.Suppressed, envelope.CreatedAt, address, Describe(suppression)));
            }
        }

        return message with { InitialStates = states, InitialEvents = events };
    }

    /// <summary>The recipients (as addressed) that <see cref="MarkAsync"/> found on the list.</summary>
    public static IReadOnlyList<string> In(NewMessage message) =>
        [.. message.InitialStates.Where(s => s.State.Status == RecipientStatus.Suppressed).Select(s => message.Envelope.Recipients[s.Index].Address)];

    /// <summary>The recipients (as addressed) a stored message recorded as suppressed; "suppressed" is final, so it still holds.</summary>
    public static IReadOnlyList<string> In(StoredMessage message) =>
        [.. message.Envelope.Recipients.Where((_, i) => message.Recipients[i].Status == RecipientStatus.Suppressed).Select(r => r.Address)];

    private static string Describe(Suppression suppression) =>
        suppression.Detail is { Length: > 0 } detail
            ? $"On the suppression list: {suppression.Reason} ({detail})"
            : $"On the suppression list: {suppression.Reason}";
}
