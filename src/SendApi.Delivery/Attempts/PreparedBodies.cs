namespace SendApi.Delivery.Attempts;

/// <summary>What <see cref="MessageBodies"/> made of the bodies an attempt's due recipients receive.</summary>
/// <param name="Readable">The due recipients whose body was read, in due order: the ones to send to.</param>
/// <param name="Unreadable">The due recipients whose stored body cannot be read, with why, in due order.</param>
/// <param name="WaitingForStore">The due recipients whose body could not be signed because the store was down: not sent now.</param>
internal sealed class PreparedBodies(
    IReadOnlyDictionary<int, OutgoingBody> signed,
    IReadOnlyList<int> readable,
    IReadOnlyList<(int Recipient, string Error)> unreadable,
    IReadOnlyList<int> waitingForStore) : IDisposable
{
    public IReadOnlyList<int> Readable { get; } = readable;

    public IReadOnlyList<(int Recipient, string Error)> Unreadable { get; } = unreadable;

    public IReadOnlyList<int> WaitingForStore { get; } = waitingForStore;

    /// <summary>The parsed and signed body of variant <paramref name="variant"/>: the same object for every transaction that sends it.</summary>
    public OutgoingBody this[int variant] => signed[variant];

    /// <summary>
    /// Disposes the parsed messages once the attempt's transactions are done with them: a MimeKit
    /// message, part and content each have a finalizer, and one left to the collector survives a
    /// collection with all it holds (the intake disposes its side for the same reason, see
    /// MessageIntake.WriteAllAsync).
    /// </summary>
    public void Dispose()
    {
        foreach (var body in signed.Values)
        {
            body.Message.Dispose();
        }
    }
}
