namespace SendApi.Core.Messages;

/// <summary>What a client's Idempotency-Key stood for when it came again.</summary>
public enum IdempotencyBinding
{
    /// <summary>First use within the window: the key now stands for this request.</summary>
    New,

    /// <summary>Used before for the same request (same route, same body): a retry.</summary>
    SameRequest,

    /// <summary>Used before for a different request: answering with the first one's result would hide the client's bug.</summary>
    OtherRequest,
}

/// <summary>
/// Binds each Idempotency-Key to the request it was first used for (a fingerprint of the route and
/// body), for <see cref="MessageLifetimes.IdempotencyWindow"/>. The binding is one atomic step, so
/// of two parallel requests with one key exactly one is <see cref="IdempotencyBinding.New"/>. It
/// does not create anything: the messages a request creates are deduplicated by the store's
/// accept (<see cref="NewMessage.IdempotencyKey"/>), atomically with the message itself.
/// </summary>
public interface IIdempotencyKeys
{
    Task<IdempotencyBinding> BindAsync(string accountId, string key, string fingerprint, CancellationToken cancellationToken);
}
