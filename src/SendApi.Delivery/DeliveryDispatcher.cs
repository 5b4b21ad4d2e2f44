using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// Moves due messages from the delivery queue into Hangfire, a batch per job. Every instance runs
/// one; claims are atomic, so several dispatchers never hand out the same message. It wakes when
/// this instance accepts a message, when the next retry falls due, and at least every poll
/// interval (for messages accepted by other instances).
/// </summary>
internal sealed partial class DeliveryDispatcher(
    IDeliveryQueue queue,
    IBackgroundJobClient jobs,
    JobStorage storage,
    DeliveryConcurrency concurrency,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<DeliveryDispatcher> logger) : BackgroundService, IDeliverySignal
{
    private readonly DeliveryOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Notify()
    {
        // At most one pending wake-up is needed: the dispatcher drains everything due when it runs.
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = _options.PollIntervalValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (concurrency.IsSaturated || QueuedJobs() >= _options.MaxQueuedJobs)
                {
                    // This instance is busy (or Hangfire's workers are behind): claiming more would
                    // only hold messages that another instance could be delivering.
                    await WaitAsync(TimeSpan.FromMilliseconds(100), stoppingToken);
                    continue;
                }

                var now = time.GetUtcNow();
                var claim = Guid.NewGuid().ToString("N");
                var ids = await queue.ClaimDueAsync(claim, now, _options.BatchSize, now + _options.ClaimLeaseValue, stoppingToken);
                if (ids.Count > 0)
                {
                    var job = Job.FromExpression<DeliveryJob>(j => j.RunAsync(claim, ids.ToArray(), CancellationToken.None));
                    jobs.Create(job, new EnqueuedState(DeliveryJob.Queue));
                    LogDispatched(logger, ids.Count, claim);
                    if (ids.Count == _options.BatchSize)
                    {
                        continue;
                    }
                }

                var next = await queue.NextDueAsync(stoppingToken);
                var wait = next is { } due ? Clamp(due - time.GetUtcNow(), poll) : poll;
                await WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogDispatchFailed(logger, ex);
                await WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private long QueuedJobs() => storage.GetMonitoringApi().EnqueuedCount(DeliveryJob.Queue);

    private static TimeSpan Clamp(TimeSpan wait, TimeSpan max) =>
        wait < TimeSpan.Zero ? TimeSpan.Zero : wait > max ? max : wait;

    private async Task WaitAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            await _wake.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    // Log event ids 2010–2019 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2012.
    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Dispatched {Count} message(s) as batch {Claim}")]
    private static partial void LogDispatched(ILogger logger, int count, string claim);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "Dispatching due messages failed; retrying in a second")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);
}
