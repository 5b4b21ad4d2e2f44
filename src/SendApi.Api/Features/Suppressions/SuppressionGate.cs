using SendApi.Core.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Suppressions;

/// <summary>What accepting through the gate returned.</summary>
/// <param name="Suppressed">The recipients (as addressed) that were on the list and will receive nothing.</param>
/// <param name="Status">"queued", or "suppressed" when every recipient was.</param>
internal sealed record GatedAcceptance(string Id, bool Replayed, IReadOnlyList<string> Suppressed, string Status);

/// <summary>
/// The way both submission paths (<c>POST /messages</c> and SMTP) accept a message, so that the
/// suppression list is enforced in one place: one batch lookup of the recipients, then one
/// atomic accept in which the suppressed ones start final ("suppressed", with an event saying
/// why). Delivery never attempts a final recipient, so nothing reaches them; the others go out.
/// </summary>
internal sealed class SuppressionGate(ISuppressionStore suppressions, IMessageStore messages)
{
    public async Task<GatedAcceptance> AcceptAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        var found = await suppressions.FindAsync(envelope.AccountId, [.. envelope.Recipients.Select(r => r.Address)], cancellationToken);

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

        var accepted = await messages.AcceptAsync(message with { InitialStates = states, InitialEvents = events }, cancellationToken);
        if (!accepted.Replayed)
        {
            return Result(accepted, [.. states.Select(s => envelope.Recipients[s.Index].Address)], envelope.Recipients.Count);
        }

        // A replay answers for the first message, whose list may have been different: report what
        // it recorded ("suppressed" is final, so it still holds).
        var first = await messages.FindAsync(accepted.Id, cancellationToken);
        return first is null
            ? Result(accepted, [], 0)
            : Result(accepted,
                [.. first.Envelope.Recipients.Where((_, i) => first.Recipients[i].Status == RecipientStatus.Suppressed).Select(r => r.Address)],
                first.Envelope.Recipients.Count);
    }

    private static GatedAcceptance Result(AcceptResult accepted, IReadOnlyList<string> suppressed, int recipients) =>
        new(accepted.Id, accepted.Replayed, suppressed,
            recipients > 0 && suppressed.Count == recipients ? MessageStatus.Suppressed : MessageStatus.Queued);

    private static string Describe(Suppression suppression) =>
        suppression.Detail is { Length: > 0 } detail
            ? $"On the suppression list: {suppression.Reason} ({detail})"
            : $"On the suppression list: {suppression.Reason}";
}
