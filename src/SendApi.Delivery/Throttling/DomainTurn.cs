namespace SendApi.Delivery.Throttling;

/// <summary>
/// A domain's answer to "may this transaction start?" (<see cref="DomainTurns.WaitAsync"/>):
/// granted (start after <see cref="Wait"/>, then give the turn back), not yet (come back after
/// <see cref="Wait"/>), or no answer because the attempt is being cancelled.
/// </summary>
internal sealed class DomainTurn
{
    /// <summary>For a transport that reaches no server: nothing is held, nothing to give back.</summary>
    public static readonly DomainTurn Unlimited = new(granted: true, cancelled: false, TimeSpan.Zero);

    public static readonly DomainTurn Cancelled = new(granted: false, cancelled: true, TimeSpan.Zero);

    private readonly DomainTurns? _owner;

    private DomainTurn(bool granted, bool cancelled, TimeSpan wait, DomainTurns? owner = null, string domain = "", SemaphoreSlim? gate = null, string? token = null)
    {
        Granted = granted;
        IsCancelled = cancelled;
        Wait = wait;
        _owner = owner;
        Domain = domain;
        Gate = gate;
        Token = token;
    }

    public bool Granted { get; }

    public bool IsCancelled { get; }

    /// <summary>Granted: how long until the reserved rate slot. Not granted: how long to stay away.</summary>
    public TimeSpan Wait { get; }

    internal string Domain { get; }

    /// <summary>The instance's connection slot held while the transaction runs.</summary>
    internal SemaphoreSlim? Gate { get; }

    /// <summary>The shared throttle's connection slot held while the transaction runs.</summary>
    internal string? Token { get; }

    public static DomainTurn Later(TimeSpan wait) => new(granted: false, cancelled: false, wait);

    internal static DomainTurn Held(DomainTurns owner, string domain, SemaphoreSlim gate, TimeSpan wait, string token) =>
        new(granted: true, cancelled: false, wait, owner, domain, gate, token);

    /// <summary>Gives the connection slots back once the transaction is over, whatever its end.</summary>
    public Task ReleaseAsync() => _owner?.ReleaseAsync(this) ?? Task.CompletedTask;
}
