namespace SendApi.Delivery;

/// <summary>
/// Bounds the messages being delivered in this process at once, whether their batch still holds
/// a Hangfire worker or finished in the background, and tells the dispatcher when to stop claiming.
/// </summary>
internal sealed class DeliveryConcurrency(Microsoft.Extensions.Options.IOptions<DeliveryOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentDeliveries, options.Value.MaxConcurrentDeliveries);
    private int _inFlight;

    /// <summary>Messages claimed by jobs of this process and not yet finished.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsSaturated => InFlight >= options.Value.MaxConcurrentDeliveries;

    public void Claimed(int count) => Interlocked.Add(ref _inFlight, count);

    public void Finished() => Interlocked.Decrement(ref _inFlight);

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
