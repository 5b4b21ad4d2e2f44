using SendApi.Core.Messages;

namespace SendApi.Storage.Embedded;

/// <summary>Idempotency-Key bindings in this process, forgotten after the window as on Redis.</summary>
internal sealed class InMemoryIdempotencyKeys(TimeProvider time) : IIdempotencyKeys
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Account, string Key), (string Fingerprint, DateTimeOffset Expires)> _bindings = [];
    private readonly Queue<(DateTimeOffset Expires, (string, string) Key)> _expiry = new();

    public Task<IdempotencyBinding> BindAsync(string accountId, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            while (_expiry.TryPeek(out var next) && next.Expires <= now)
            {
                _expiry.Dequeue();
                if (_bindings.TryGetValue(next.Key, out var entry) && entry.Expires <= now)
                {
                    _bindings.Remove(next.Key);
                }
            }

            if (_bindings.TryGetValue((accountId, key), out var bound) && bound.Expires > now)
            {
                return Task.FromResult(bound.Fingerprint == fingerprint ? IdempotencyBinding.SameRequest : IdempotencyBinding.OtherRequest);
            }

            var expires = now + MessageLifetimes.IdempotencyWindow;
            _bindings[(accountId, key)] = (fingerprint, expires);
            _expiry.Enqueue((expires, (accountId, key)));
            return Task.FromResult(IdempotencyBinding.New);
        }
    }
}
