using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery;

/// <summary>
/// Bounds the messages being delivered in this process at once, whether their batch still holds
/// a Hangfire worker or finished in the background; tells the dispatcher when to stop claiming;
/// and, at shutdown, waits for background batches so that what they delivered gets recorded
/// before the store goes away.
/// </summary>
internal sealed class DeliveryConcurrency(IOptions<DeliveryOptions> options) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentDeliveries, options.Value.MaxConcurrentDeliveries);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private int _inFlight;

    /// <summary>Messages claimed by jobs of this process and not yet finished.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsSaturated => InFlight >= options.Value.MaxConcurrentDeliveries;

    public void Claimed(int count) => Interlocked.Add(ref _inFlight, count);

    public void Finished(int count = 1) => Interlocked.Add(ref _inFlight, -count);

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();

    /// <summary>Keeps a batch that went on in the background until it ends.</summary>
    public void Track(Task batch)
    {
        _background[batch] = 0;
        _ = batch.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Registered before the Hangfire server, so it stops after it: by then the jobs' tokens are
    /// cancelled and the background batches are recording what they did.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_background.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout won: unrecorded attempts go out again after the lease.
        }
    }

    public void Dispose() => _slots.Dispose();
}
