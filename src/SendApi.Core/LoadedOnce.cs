namespace SendApi.Core;

/// <summary>
/// A value read from a store on first use and kept for the life of the process (the signing
/// keys). Callers arriving together wait for the one read rather than each asking the store; a
/// read that fails keeps nothing, so the next caller asks again (a store down at start is not
/// the last word).
/// </summary>
public sealed class LoadedOnce<T>
    where T : class
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private T? _value;

    public async ValueTask<T> GetAsync(Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _value) is { } value)
        {
            return value;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            return _value ??= await load(cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }
}
