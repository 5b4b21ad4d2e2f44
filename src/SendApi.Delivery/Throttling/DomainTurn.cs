namespace SendApi.Delivery.Throttling;

/// <summary>
/// A domain's answer to "may this transaction start?" (<see cref="DomainTurns.WaitAsync"/>):
/// granted (start after <see cref="Wait"/>, then give the turn back), not yet (come back after
/// <see cref="Wait"/>), or no answer because the attempt is being cancelled. Made by
/// <see cref="DomainTurns"/> only.
/// </summary>
/// <param name="gate">The instance's connection slot held while the transaction runs.</param>
/// <param name="token">The shared throttle's connection slot held while the transaction runs.</param>
internal sealed class DomainTurn(bool granted, bool cancelled, TimeSpan wait, DomainTurns? owner = null, string domain = "", SemaphoreSlim? gate = null, string? token = null)
{
    /// <summary>For a transport that reaches no server: nothing is held, nothing to give back.</summary>
    public static readonly DomainTurn Unlimited = new(granted: true, cancelled: false, TimeSpan.Zero);

    public static readonly DomainTurn Cancelled = new(granted: false, cancelled: true, TimeSpan.Zero);

    public bool Granted => granted;

    public bool IsCancelled => cancelled;

    /// <summary>Granted: how long until the reserved rate slot. Not granted: how long to stay away.</summary>
    public TimeSpan Wait => wait;

    internal string Domain => domain;

    internal SemaphoreSlim? Gate => gate;

    internal string? Token => token;

    public static DomainTurn Later(TimeSpan wait) => new(granted: false, cancelled: false, wait);

    /// <summary>Gives the connection slots back once the transaction is over, whatever its end.</summary>
    public Task ReleaseAsync() => owner?.ReleaseAsync(this) ?? Task.CompletedTask;
}
