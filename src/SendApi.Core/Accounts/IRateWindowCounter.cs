namespace SendApi.Core.Accounts;

/// <summary>
/// Fixed-window counters shared by every instance on the same store: the per-key rate limit of
/// HTTP requests and SMTP messages counts here, so that two instances behind a load balancer
/// allow a key its limit once, not once each.
/// </summary>
public interface IRateWindowCounter
{
    /// <summary>
    /// Adds one to <paramref name="name"/>'s count in the window numbered <paramref name="window"/>
    /// and returns the new count. A window's count is forgotten after <paramref name="lifetime"/>
    /// (at least the window's length), so counters of idle keys take no space.
    /// </summary>
    Task<long> IncrementAsync(string name, long window, TimeSpan lifetime, CancellationToken cancellationToken);
}
