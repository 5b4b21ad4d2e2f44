namespace SendApi.Core.Tracking;

/// <summary>
/// Where the key that signs unsubscribe, open and click tokens lives when none is configured
/// (<c>Tracking__SigningKey</c>), shared by every instance. Apart from the return-path key
/// (<see cref="Messages.IReturnPathKeyStore"/>) on purpose: a return path matters while its message
/// is kept, an unsubscribe link for as long as the mail sits in someone's inbox, so rotating one
/// must not break the other.
/// </summary>
public interface ITrackingKeyStore
{
    /// <summary>
    /// The stored key; when none is stored yet, <paramref name="proposed"/> is stored and returned.
    /// Atomic: instances starting together all get the one that was stored first.
    /// </summary>
    Task<byte[]> GetOrAddAsync(byte[] proposed, CancellationToken cancellationToken);
}
