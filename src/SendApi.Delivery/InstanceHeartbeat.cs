using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Instances;
using SendApi.Core.Storage;

namespace SendApi.Delivery;

/// <summary>
/// Tells the store this instance is alive every <c>Delivery__InstanceHeartbeat</c>, and takes over
/// instances whose heartbeat is older than <c>Delivery__InstanceTimeout</c>: their claimed messages
/// are due at once and their domain connection slots free, so a SIGKILL costs seconds, not the
/// 2-minute lease. The lease stays as the last resort (claims of versions without heartbeats).
/// </summary>
/// <remarks>
/// An instance takes over others only after its own heartbeats have succeeded for a whole timeout:
/// after a store outage every heartbeat has lapsed, and the first instance back must not take the
/// claims of live instances that have not beaten again yet.
/// </remarks>
internal sealed partial class InstanceHeartbeat(
    IInstanceRegistry registry,
    ProcessInstance instance,
    DueMailSignal dueMail,
    IStorageAvailability storage,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.InstanceHeartbeatValue;
        var timeout = options.Value.InstanceTimeoutValue;
        DateTimeOffset? aliveSince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await registry.HeartbeatAsync(instance, timeout, stoppingToken);
                var now = time.GetUtcNow();
                aliveSince ??= now;
                if (now - aliveSince >= timeout)
                {
                    var taken = await registry.TakeOverLapsedAsync(now, stoppingToken);
                    if (taken.Instances > 0)
                    {
                        LogTakenOver(logger, taken.Instances, taken.Messages, taken.Slots);
                    }

                    if (taken.Messages > 0)
                    {
                        dueMail.Notify();
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                aliveSince = null;
                if (!storage.TryNoteOutage(ex))
                {
                    LogHeartbeatFailed(logger, ex);
                }
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Log event ids 2070–2079 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2072.
    [LoggerMessage(EventId = 2070, Level = LogLevel.Warning, Message = "Took over {Instances} instance(s) whose heartbeat lapsed: {Messages} claimed message(s) are due again and {Slots} domain connection slot(s) free")]
    private static partial void LogTakenOver(ILogger logger, int instances, int messages, int slots);

    [LoggerMessage(EventId = 2071, Level = LogLevel.Warning, Message = "The instance heartbeat failed; trying again")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
