namespace SendApi.Core.Messages;

/// <summary>
/// Where the return-path signing state lives, shared by every instance: the generated key (used
/// when Delivery__ReturnPathKey is not set) and the moment signing began, before which return
/// paths were unsigned.
/// </summary>
public interface IReturnPathKeyStore
{
    /// <summary>
    /// The stored state; when none is stored yet, <paramref name="proposed"/> is stored and
    /// returned. Atomic: instances starting together all get the one that was stored first.
    /// </summary>
    Task<ReturnPathSecret> GetOrAddAsync(ReturnPathSecret proposed, CancellationToken cancellationToken);
}

/// <param name="GeneratedKey">A random key, used unless one is configured.</param>
/// <param name="SignedSince">When this version first started: messages created earlier may still carry unsigned return paths.</param>
public sealed record ReturnPathSecret(ReturnPathKey GeneratedKey, DateTimeOffset SignedSince);
