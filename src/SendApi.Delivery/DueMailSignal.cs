using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// "Mail may be due now", set when this instance accepts a message. The pump waits on it to make
/// sure a delivery job is ready, and so does a running job whose queue ran dry, so that new mail
/// starts at once instead of at the next poll.
/// </summary>
internal sealed class DueMailSignal : IDeliverySignal
{
    private readonly AsyncSignal _signal = new();

    public Task Next => _signal.Next;

    public void Notify() => _signal.Set();
}
