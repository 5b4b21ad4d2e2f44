namespace SendApi.Core.Abuse;

/// <summary>
/// Failed SMTP AUTH attempts per client address, counted across every instance that shares the
/// store, so that N instances don't give an attacker N times the guesses. The embedded store
/// answers null to both, and the SMTP server counts in its process.
/// </summary>
public interface ISharedAuthFailures
{
    /// <summary>Failures from <paramref name="address"/> within the last <paramref name="window"/>.</summary>
    Task<int?> CountAsync(string address, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Records one failure; returns the failures within the window, this one included (at most <paramref name="cap"/>).</summary>
    Task<int?> RecordAsync(string address, TimeSpan window, int cap, CancellationToken cancellationToken);
}
