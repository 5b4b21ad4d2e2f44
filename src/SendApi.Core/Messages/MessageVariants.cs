namespace SendApi.Core.Messages;

/// <summary>
/// Per-recipient content: bodies some recipients receive instead of the message's base MIME
/// (a template rendered with a recipient's own variables, a personal unsubscribe link). Body 0 is
/// the base (<see cref="NewMessage.Mime"/>, <see cref="DeliveryWork.Mime"/>); variant k ≥ 1 is
/// <see cref="Bodies"/>[k - 1], and each recipient names the one it gets. Recipients sharing a
/// variant share it, as everyone shares the base in a message without variants (<see cref="None"/>),
/// which is what almost every message is: it costs no storage beyond the base.
/// </summary>
public sealed class MessageVariants
{
    public static MessageVariants None { get; } = new([], []);

    /// <param name="bodies">The variants' exact bytes, variant 1 first.</param>
    /// <param name="variantOfRecipient">Per recipient index, its variant (0 = the base); empty when <paramref name="bodies"/> is.</param>
    /// <exception cref="ArgumentException">A recipient names a variant that does not exist, or there are bodies and no recipient list (or the reverse).</exception>
    public MessageVariants(IReadOnlyList<ReadOnlyMemory<byte>> bodies, IReadOnlyList<int> variantOfRecipient)
    {
        if ((bodies.Count == 0) != (variantOfRecipient.Count == 0))
        {
            throw new ArgumentException("Variant bodies and the recipients' variants come together: both or neither.", nameof(variantOfRecipient));
        }

        foreach (var variant in variantOfRecipient)
        {
            if (variant < 0 || variant > bodies.Count)
            {
                throw new ArgumentException($"A recipient names variant {variant}, but there are {bodies.Count} (1..{bodies.Count}; 0 is the base).", nameof(variantOfRecipient));
            }
        }

        Bodies = bodies;
        VariantOfRecipient = variantOfRecipient;
    }

    public IReadOnlyList<ReadOnlyMemory<byte>> Bodies { get; }

    public IReadOnlyList<int> VariantOfRecipient { get; }

    public bool IsEmpty => Bodies.Count == 0;

    /// <summary>The variant the recipient at <paramref name="recipient"/> receives; 0 (the base) when there are none.</summary>
    public int Of(int recipient) => IsEmpty ? 0 : VariantOfRecipient[recipient];

    /// <summary>The bytes of variant <paramref name="variant"/>, the base being <paramref name="baseMime"/>.</summary>
    public ReadOnlyMemory<byte> Body(int variant, ReadOnlyMemory<byte> baseMime) => variant == 0 ? baseMime : Bodies[variant - 1];
}
