using Microsoft.Extensions.Options;

namespace SendApi.Delivery;

/// <summary>
/// When to try again after a temporary failure. The schedule's last delay repeats; the final
/// attempt is made at the message's maximum age, and a temporary failure then is final.
/// </summary>
internal sealed class RetryPolicy(IOptions<DeliveryOptions> options)
{
    private readonly IReadOnlyList<TimeSpan> _schedule = options.Value.RetryScheduleValue;
    private readonly TimeSpan _maxAge = options.Value.MaxAgeValue;

    public TimeSpan MaxAge => _maxAge;

    /// <param name="attempts">Attempts made so far, including the one that just failed.</param>
    /// <returns>The time of the next attempt, or null when the message is too old to try again.</returns>
    public DateTimeOffset? NextAttempt(DateTimeOffset createdAt, int attempts, DateTimeOffset now)
    {
        var deadline = createdAt + _maxAge;
        if (now >= deadline)
        {
            return null;
        }

        var delay = _schedule[Math.Clamp(attempts - 1, 0, _schedule.Count - 1)];
        var next = now + delay;
        return next < deadline ? next : deadline;
    }
}
