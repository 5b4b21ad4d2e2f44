namespace SendApi.Core.Abuse;

/// <summary>
/// Open SMTP connections per client address, counted across every instance that shares the store,
/// so that <c>Smtp__MaxConnectionsPerIp</c> holds for the cluster rather than per instance. A
/// connection counts only while the instance that holds it is alive: a dead instance's connections
/// stop counting when its heartbeat lapses. The embedded store answers null, and the SMTP server
/// counts in its process.
/// </summary>
public interface ISharedConnectionCounts
{
    /// <summary>
    /// Counts <paramref name="connection"/> from <paramref name="address"/> unless the address already
    /// has <paramref name="cap"/> open across the instances: true when counted, false when at the cap.
    /// </summary>
    Task<bool?> TryOpenAsync(string address, string connection, int cap, CancellationToken cancellationToken);

    /// <summary>The connection ended. Not waited for, never throws: a close that is lost stops counting with this instance.</summary>
    void Close(string address, string connection);
}
