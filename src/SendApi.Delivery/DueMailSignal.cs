using System.Collections.Concurrent;
using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// "Mail may be due now", set when this instance accepts a message. It wakes one delivery job whose
/// queue ran dry (it has free slots and claims the new mail), or, when no job is idle like that,
/// the pump (which makes sure a job is ready). One wake-up per message, never all jobs at once:
/// under load, every idle job racing for each new message would cost a store round trip each.
/// </summary>
internal sealed class DueMailSignal : IDeliverySignal
{
    private readonly ConcurrentQueue<TaskCompletionSource> _idleJobs = new();
    private readonly AsyncSignal _pump = new();

    /// <summary>Completes when new mail found no idle job to take it.</summary>
    public Task PumpWakeUp => _pump.Next;

    /// <summary>
    /// A job waits here for new mail while its queue is dry. The task completes when a message
    /// for it arrives; the job cancels it when it stops waiting for another reason.
    /// </summary>
    public TaskCompletionSource WaitAsIdle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _idleJobs.Enqueue(idle);
        return idle;
    }

    public void Notify()
    {
        if (!WakeIdleJob())
        {
            _pump.Set();
        }
    }

    /// <summary>Wakes one job waiting for new mail, if any; entries a job gave up on (cancelled) are skipped.</summary>
    public bool WakeIdleJob()
    {
        while (_idleJobs.TryDequeue(out var idle))
        {
            if (idle.TrySetResult())
            {
                return true;
            }
        }

        return false;
    }
}
