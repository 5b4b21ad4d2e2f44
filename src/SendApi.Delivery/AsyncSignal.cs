namespace SendApi.Delivery;

/// <summary>
/// A wake-up for any number of waiters: <see cref="Set"/> completes the task every current waiter
/// holds. Take <see cref="Next"/> before looking at the state you wait on, so that a
/// <see cref="Set"/> in between is never missed.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _next = Fresh();

    public Task Next => Volatile.Read(ref _next).Task;

    public void Set() => Interlocked.Exchange(ref _next, Fresh()).TrySetResult();

    private static TaskCompletionSource Fresh() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
