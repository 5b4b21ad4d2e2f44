using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery;

/// <summary>
/// A Hangfire scheduled delivery job at each time deferred mail falls due, so that it goes out then
/// and the dashboard's "Scheduled" list says when. The retry itself (which recipient, how many
/// attempts, when) lives in the delivery queue; the job only wakes delivery at that time and delivers
/// whatever is due then. One job per second of retry times per instance: a deferral storm schedules
/// a handful of jobs, not one per message.
/// </summary>
internal sealed partial class RetryWakeUps(IBackgroundJobClient jobs, TimeProvider time, IOptions<DeliveryOptions> options, ILogger<RetryWakeUps> logger)
{
    // Hangfire's scheduler runs on the system clock, whatever ours is: wake-ups are kept in its time.
    private static readonly TimeProvider HangfireClock = TimeProvider.System;

    private readonly Lock _gate = new();
    private readonly SortedSet<long> _seconds = [];

    // A wake-up is enqueued by Hangfire's scheduler within a poll of its time; until then the pump
    // counts it as a job about to start rather than add one of its own.
    private readonly TimeSpan _grace = 2 * options.Value.PollIntervalValue + TimeSpan.FromSeconds(1);

    /// <summary>Makes sure a delivery job is scheduled for <paramref name="due"/> (at the next whole second: Hangfire's resolution).</summary>
    public void Ensure(DateTimeOffset due)
    {
        var at = due + (HangfireClock.GetUtcNow() - time.GetUtcNow());
        var second = (at.ToUnixTimeMilliseconds() + 999) / 1000;
        lock (_gate)
        {
            Forget(HangfireClock.GetUtcNow());
            if (!_seconds.Add(second))
            {
                return;
            }
        }

        var enqueueAt = DateTimeOffset.FromUnixTimeSeconds(second);
        try
        {
            jobs.Create(DeliveryJob.For(DeliveryJob.RetriesDue), new ScheduledState(enqueueAt.UtcDateTime));
            LogScheduled(logger, enqueueAt);
        }
        catch (Exception ex)
        {
            // The retry is safe in the delivery queue; without its job it goes out at the pump's next poll.
            lock (_gate)
            {
                _seconds.Remove(second);
            }

            LogScheduleFailed(logger, ex, enqueueAt);
        }
    }

    /// <summary>
    /// True when a wake-up of this instance is about to start its job: its time is within the next
    /// second (mail due now is what it was scheduled for, its time rounded up) or passed moments ago
    /// (Hangfire's scheduler has yet to enqueue it). That job will take the due mail.
    /// </summary>
    public bool Firing()
    {
        var now = HangfireClock.GetUtcNow();
        lock (_gate)
        {
            Forget(now);
            return _seconds.Count > 0 && (_seconds.Min - 1) * 1000 <= now.ToUnixTimeMilliseconds();
        }
    }

    private void Forget(DateTimeOffset now)
    {
        var expired = (now - _grace).ToUnixTimeSeconds();
        while (_seconds.Count > 0 && _seconds.Min < expired)
        {
            _seconds.Remove(_seconds.Min);
        }
    }

    // Log event ids 2060–2069 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2062.
    [LoggerMessage(EventId = 2060, Level = LogLevel.Debug, Message = "Scheduled a delivery job for retries due at {At:O}")]
    private static partial void LogScheduled(ILogger logger, DateTimeOffset at);

    [LoggerMessage(EventId = 2061, Level = LogLevel.Warning, Message = "Scheduling the delivery job for retries due at {At:O} failed; the pump's poll takes them up instead")]
    private static partial void LogScheduleFailed(ILogger logger, Exception exception, DateTimeOffset at);
}
