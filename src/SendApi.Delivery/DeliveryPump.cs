using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Messages;
using SendApi.Core.Storage;

namespace SendApi.Delivery;

/// <summary>
/// Keeps a delivery job ready whenever mail is due: when the delivery queue has due mail, no
/// running job has a free slot for it and no delivery job waits in Hangfire's queue, it enqueues
/// one. A waiting job is its only back-pressure signal. A waiting job holds no claims, so an extra one is harmless (it starts,
/// finds nothing due and ends); and while every worker is busy, one job waiting is enough, because
/// running jobs claim more mail themselves as their slots free up. How much an instance delivers at
/// once is Hangfire's worker count times each job's slots, not something the pump decides.
/// Every instance runs one: it wakes when this instance accepts a message that no running job was
/// idle enough to take, and polls for mail nobody woke it for (accepted by another instance, sent
/// back by its domain's limit, or claimed by a worker that died).
/// </summary>
internal sealed partial class DeliveryPump(
    IDeliveryQueue queue,
    IBackgroundJobClient jobs,
    JobStorage storage,
    DueMailSignal dueMail,
    RetryWakeUps wakeUps,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    IStorageAvailability storageAvailability,
    ILogger<DeliveryPump> logger) : BackgroundService
{
    // While a job waits for a worker, how soon to look again, so that another is ready when it starts.
    private static readonly TimeSpan WaitingRecheck = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = options.Value.PollIntervalValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var woken = dueMail.PumpWakeUp;
                var next = await queue.NextDueAsync(stoppingToken);
                var now = time.GetUtcNow();
                if (next is not { } due || due > now)
                {
                    // Nothing due yet: look again when the earliest entry falls due (mail sent back by
                    // its domain's limit, a lapsed lease), at the latest after a poll (other
                    // instances' mail). Retries have scheduled jobs of their own (RetryWakeUps).
                    await WaitAsync(woken, next is { } later && later - now < poll ? later - now : poll, stoppingToken);
                    continue;
                }

                // Mail is due: a running job with a free slot takes it; failing that, a job waiting for
                // a worker will; failing that, one is enqueued.
                if (!dueMail.WakeIdleJob() && !JobWaiting())
                {
                    jobs.Create(DeliveryJob.For(DeliveryJob.MailDue), new EnqueuedState(DeliveryJob.Queue));
                    LogEnqueued(logger, due);
                }

                // Look again shortly, so that another job is ready when this one starts and mail is still due.
                await WaitAsync(null, WaitingRecheck, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A store outage is logged once, by the tracker; anything else is a bug worth a line each time.
                if (!storageAvailability.TryNoteOutage(ex))
                {
                    LogPumpFailed(logger, ex);
                }

                await WaitAsync(null, TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>A delivery job waits in Hangfire's queue (cluster-wide), or one this instance scheduled for a retry is being enqueued.</summary>
    private bool JobWaiting() =>
        storage.GetMonitoringApi().EnqueuedCount(DeliveryJob.Queue) > 0 || wakeUps.Firing();

    private async Task WaitAsync(Task? woken, TimeSpan wait, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var tick = Task.Delay(wait, time, timeout.Token);
        await (woken is null ? tick : Task.WhenAny(woken, tick)).ContinueWith(_ => { }, TaskScheduler.Default);
        await timeout.CancelAsync();
    }

    // Log event ids 2050–2059 (SendApi.Delivery's range is 2000–2999, see docs/logging.md; 2010–2019 were the
    // dispatcher's, retired with it); next free: 2052.
    [LoggerMessage(EventId = 2050, Level = LogLevel.Debug, Message = "Mail due since {Due:O} and no delivery job waiting: enqueued one")]
    private static partial void LogEnqueued(ILogger logger, DateTimeOffset due);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Error, Message = "Looking for due mail failed; trying again in a second")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception);
}
