using SendApi.Core.Messages;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// Recipients that go in one SMTP transaction: the same domain and the same body. Recipients with
/// different bodies (<see cref="MessageVariants"/>) never share a transaction, since DATA carries
/// one body for every RCPT; a message without variants groups by domain alone.
/// </summary>
/// <param name="Variant">The body they receive (0 = the base).</param>
/// <param name="Recipients">Recipient indices, in the order they were due.</param>
internal sealed record RecipientGroup(string Domain, int Variant, IReadOnlyList<int> Recipients)
{
    /// <summary>The groups of <paramref name="recipients"/>, in the order their first recipient comes.</summary>
    public static IEnumerable<RecipientGroup> Of(DeliveryWork work, IEnumerable<int> recipients) =>
        recipients
            .GroupBy(i => (work.Envelope.Recipients[i].Domain, Variant: work.VariantOf(i)))
            .Select(g => new RecipientGroup(g.Key.Domain, g.Key.Variant, [.. g]));
}
