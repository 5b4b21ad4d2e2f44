namespace SendApi.Core.Messages;

/// <summary>
/// Which writes may replace a recipient's state. Both stores decide with this one rule: the
/// embedded store calls it, and the Redis scripts carry a table generated from it.
/// </summary>
public static class RecipientTransitions
{
    /// <summary>
    /// Whether a delivery attempt's state (sending, delivered, deferred, …) may replace
    /// <paramref name="current"/>. A bounce can come back (as later evidence) while the attempt
    /// that got the 250 still holds the message: the attempt's late "delivered" must not erase it.
    /// Later evidence itself replaces any state.
    /// </summary>
    public static bool AttemptMayReplace(RecipientStatus current) => current != RecipientStatus.Bounced;
}
