using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Core.Throttling;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery.Throttling;

/// <summary>
/// Waiting for a domain's turn: a connection slot of this instance (<see cref="LocalGates"/>),
/// then one of the limit shared by all instances, with the domain's rate slot. A turn that is far
/// off is not waited for in the worker: the recipients are postponed until then, but never past
/// the point where the message gives up waiting (<see cref="GiveUpAt"/>).
/// </summary>
internal sealed class DomainTurns(
    IDomainThrottle throttle, RetryPolicy retry, IOptions<DeliveryOptions> options, IStorageAvailability storage, TimeProvider time, ILogger<MessageDelivery> logger)
{
    // A reserved rate slot this close is awaited in the job; a later one sends the message back
    // to the queue, so that a throttled domain never holds a worker for long. Sent-back messages
    // stay away at least MinPostpone, while reservations still cover the time until they return,
    // so the domain's rate is kept up without messages spinning through the queue.
    private static readonly TimeSpan MaxInlineWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MinPostpone = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxThrottleGrace = TimeSpan.FromMinutes(15);

    private readonly DeliveryOptions _options = options.Value;
    private readonly LocalGates _gates = new();

    /// <summary>
    /// The domain's turn for one transaction through <paramref name="transport"/>. A store that
    /// fails answers "later", not an exception: the domains already delivered in this attempt
    /// still get recorded.
    /// </summary>
    public async Task<DomainTurn> WaitAsync(string domain, IDeliveryTransport transport, CancellationToken cancellationToken)
    {
        // No gate for a transport that reaches no server (capture): the limits protect receivers.
        if (!transport.UsesDomainLimits)
        {
            return DomainTurn.Unlimited;
        }

        var limits = _options.LimitsFor(domain);
        var gate = _gates.For(domain, limits.MaxConnections);
        try
        {
            return await gate.WaitAsync(MaxInlineWait, cancellationToken)
                ? await AcquireSharedAsync(gate, domain, limits, cancellationToken)
                : DomainTurn.Later(MinPostpone);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DomainTurn.Cancelled;
        }
        catch (Exception ex)
        {
            // The recipients wait either way; an outage is logged once by the availability watch.
            if (!storage.TryNoteOutage(ex))
            {
                MessageDeliveryLog.LogThrottleFailed(logger, ex, domain);
            }

            return DomainTurn.Later(MinPostpone);
        }
    }

    /// <summary>
    /// Until when recipients refused a turn stay away: the domain's next free slot, at least
    /// <see cref="MinPostpone"/>, and never past <see cref="GiveUpAt"/>, so that a domain whose
    /// limit cannot keep up fails its mail then like any other temporary failure.
    /// </summary>
    public DateTimeOffset PostponedUntil(DeliveryWork work, TimeSpan wait)
    {
        var until = time.GetUtcNow() + (wait > MinPostpone ? wait : MinPostpone);
        var deadline = GiveUpAt(work);
        return until < deadline ? until : deadline;
    }

    /// <summary>
    /// When a recipient still waiting for its domain's limit gives up: the maximum age plus a grace
    /// (up to 15 minutes), because the retry schedule puts the final attempt exactly at the maximum
    /// age and a domain that is busy just then must not fail it unattempted.
    /// </summary>
    public DateTimeOffset GiveUpAt(DeliveryWork work) =>
        work.Envelope.FirstDueAt + retry.MaxAge + (retry.MaxAge < MaxThrottleGrace ? retry.MaxAge : MaxThrottleGrace);

    /// <summary>
    /// Gives the turn back. The shared slot's release is not waited for: the attempt goes on to be
    /// recorded meanwhile, and the store receives the release first (one connection keeps the order
    /// of commands), so the message no longer waits a round trip for it.
    /// </summary>
    internal Task ReleaseAsync(DomainTurn turn)
    {
        turn.Gate!.Release();
        _ = ReleaseSharedAsync(turn);
        return Task.CompletedTask;
    }

    /// <summary>A slot that cannot be given back (store blip) lapses with its lease; the replies still count.</summary>
    private async Task ReleaseSharedAsync(DomainTurn turn)
    {
        try
        {
            await throttle.ReleaseAsync(turn.Domain, turn.Token!, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // An outage is logged once by the availability watch.
            if (!storage.TryNoteOutage(ex))
            {
                MessageDeliveryLog.LogThrottleFailed(logger, ex, turn.Domain);
            }
        }
    }

    /// <summary>The instance-wide slot is held; now the limit shared by all instances (and the rate). The local slot is given back on refusal.</summary>
    private async Task<DomainTurn> AcquireSharedAsync(SemaphoreSlim gate, string domain, DomainLimits limits, CancellationToken cancellationToken)
    {
        try
        {
            // A dead instance's slots come free when its claims do: the lease is the same.
            var permit = await throttle.TryAcquireAsync(domain, limits.MaxConnections, limits.MaxMessagesPerSecond, MaxInlineWait, _options.ClaimLeaseValue, cancellationToken);
            if (!permit.Granted)
            {
                gate.Release();
                return DomainTurn.Later(permit.Wait);
            }

            return new DomainTurn(granted: true, cancelled: false, permit.Wait, this, domain, gate, permit.Token!);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }
}
