using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Messages;

namespace SendApi.Delivery;

/// <summary>
/// The Hangfire job that delivers a batch of claimed messages. Batching keeps Hangfire's cost per
/// message low (one job per batch, not per message); the claim in the delivery queue, renewed while
/// the job runs, is what guarantees each message is worked by one job at a time and is taken up
/// again if this process dies.
/// </summary>
public sealed partial class DeliveryJob
{
    public const string Queue = "delivery";

    // How long a batch may hold its Hangfire worker before its unfinished messages move to the
    // background. Short: batches queue FIFO, so every batch stuck on a slow MX delays the next.
    private static readonly TimeSpan DetachAfter = TimeSpan.FromMilliseconds(100);

    private readonly IDeliveryQueue _queue;
    private readonly MessageDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly ILogger<DeliveryJob> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly DeliveryConcurrency _concurrency;

    internal DeliveryJob(IDeliveryQueue queue, MessageDelivery delivery, TimeProvider time, IOptions<DeliveryOptions> options, IHostApplicationLifetime lifetime, DeliveryConcurrency concurrency, ILogger<DeliveryJob> logger)
    {
        _lifetime = lifetime;
        _concurrency = concurrency;
        _queue = queue;
        _delivery = delivery;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    // Retries are ours (per recipient, with backoff, in the delivery queue), never Hangfire's.
    [AutomaticRetry(Attempts = 0)]
    [Queue(Queue)]
    [JobDisplayName("Deliver batch {0}")]
    public async Task RunAsync(string claim, string[] messageIds, CancellationToken cancellationToken)
    {
        var lease = _options.ClaimLeaseValue;
        var owned = await _queue.RenewAsync(claim, messageIds, _time.GetUtcNow() + lease, cancellationToken);
        if (owned.Count < messageIds.Length)
        {
            LogClaimsLost(_logger, claim, messageIds.Length - owned.Count);
        }

        if (owned.Count == 0)
        {
            return;
        }

        var held = new HeldClaims(owned);
        _concurrency.Claimed(owned.Count);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.ApplicationStopping);
        var renewal = RenewWhileRunningAsync(claim, held, lease, stop.Token);
        var work = DeliverAllAsync(claim, owned, held, stop.Token);

        // A batch waits for its slowest message. Rather than pin a Hangfire worker on a tarpitting
        // MX (and leave fast mail queued behind it), stragglers finish in the background: their
        // claims are still renewed, and if this process dies they lapse and go out again.
        if (await Task.WhenAny(work, Task.Delay(DetachAfter, _time)) != work)
        {
            LogDetached(_logger, claim, held.Snapshot().Count);
            _concurrency.Track(FinishAsync(work, stop, renewal));
            return;
        }

        await FinishAsync(work, stop, renewal);
    }

    private async Task DeliverAllAsync(string claim, IReadOnlyList<string> owned, HeldClaims held, CancellationToken cancellationToken)
    {
        var started = 0;
        try
        {
            await Parallel.ForEachAsync(
                owned,
                new ParallelOptions { MaxDegreeOfParallelism = _options.ConcurrencyPerJob, CancellationToken = cancellationToken },
                (id, ct) =>
                {
                    Interlocked.Increment(ref started);
                    return new ValueTask(DeliverLimitedAsync(claim, id, held, ct));
                });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: messages not started keep their claim until it lapses, then go out again.
        }
        finally
        {
            // Messages a cancellation kept from starting are no longer in flight either.
            _concurrency.Finished(owned.Count - Volatile.Read(ref started));
        }
    }

    private async Task DeliverLimitedAsync(string claim, string id, HeldClaims held, CancellationToken cancellationToken)
    {
        try
        {
            if (!held.Contains(id))
            {
                return;
            }

            await _concurrency.WaitAsync(cancellationToken);
            try
            {
                await DeliverAsync(claim, id, held, cancellationToken);
            }
            finally
            {
                _concurrency.Release();
            }
        }
        finally
        {
            _concurrency.Finished();
        }
    }

    private static async Task FinishAsync(Task work, CancellationTokenSource stop, Task renewal)
    {
        try
        {
            await work;
        }
        finally
        {
            await stop.CancelAsync();
            await renewal;
            stop.Dispose();
        }
    }

    private async Task DeliverAsync(string claim, string id, HeldClaims held, CancellationToken cancellationToken)
    {
        try
        {
            var work = await _queue.LoadAsync(id, cancellationToken);
            if (work is null)
            {
                await _queue.CompleteAsync(claim, id, [], [], null, CancellationToken.None);
                return;
            }

            var now = _time.GetUtcNow();
            var due = MessageDelivery.DueRecipients(work, now);
            if (due.Count > 0 && !await _queue.UpdateRecipientsAsync(claim, id, [.. due.Select(i => new RecipientUpdate(i,
                    work.Recipients[i] with { Status = RecipientStatus.Sending, NextAttemptAt = null, UpdatedAt = now }))], cancellationToken))
            {
                // A newer claim took the message over while this job waited: it is that worker's now.
                LogClaimsLost(_logger, claim, 1);
                return;
            }

            // From here on the attempt is recorded whatever happens, shutdown included, so that a
            // recipient who got its 250 is never sent the message again.
            var outcome = due.Count > 0
                ? await _delivery.AttemptAsync(work, due, cancellationToken)
                : new AttemptOutcome([], [], work.Recipients.Where(r => !r.Status.IsFinal()).Select(r => r.NextAttemptAt).Min());
            await CompleteAsync(claim, id, outcome);
            LogAttempted(_logger, id, due.Count, outcome.Events.Count(e => e.Type == MessageEventTypes.Delivered));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down before the attempt began: the claim lapses and the message is taken up again.
        }
        catch (Exception ex)
        {
            // The store failed before or after the attempt: the claim lapses and the message is
            // retried after the lease rather than dropped.
            LogDeliveryError(_logger, ex, id);
        }
        finally
        {
            held.Release(id);
        }
    }

    /// <summary>Records an attempt, riding out a short store outage (the lease is still being renewed meanwhile).</summary>
    private async Task CompleteAsync(string claim, string id, AttemptOutcome outcome)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _queue.CompleteAsync(claim, id, outcome.Updates, outcome.Events, outcome.NextDue, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (attempt < 6)
            {
                LogRecordRetry(_logger, ex, id, attempt);
                await Task.Delay(delay, _time);
                delay *= 2;
            }
        }
    }

    private async Task RenewWhileRunningAsync(string claim, HeldClaims held, TimeSpan lease, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(lease / 3, _time, stop);
                var ids = held.Snapshot();
                if (ids.Count == 0)
                {
                    continue;
                }

                var still = await _queue.RenewAsync(claim, ids, _time.GetUtcNow() + lease, stop);
                held.KeepOnly(still);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One failed renewal must not end renewal for the rest of the job: keep trying.
                LogRenewFailed(_logger, ex, claim);
            }
        }
    }

    /// <summary>The messages this job still holds and has not finished, shared by the workers and the renewal loop.</summary>
    private sealed class HeldClaims(IEnumerable<string> ids)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<string> _ids = new(ids, StringComparer.Ordinal);

        public bool Contains(string id)
        {
            lock (_gate)
            {
                return _ids.Contains(id);
            }
        }

        public void Release(string id)
        {
            lock (_gate)
            {
                _ids.Remove(id);
            }
        }

        public IReadOnlyList<string> Snapshot()
        {
            lock (_gate)
            {
                return [.. _ids];
            }
        }

        /// <summary>Forgets the ids another claim took over, so that they are not started here.</summary>
        public void KeepOnly(IReadOnlyList<string> still)
        {
            lock (_gate)
            {
                _ids.IntersectWith(still);
            }
        }
    }

    // Log event ids 2000–2009 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2007.
    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Batch {Claim}: {Count} slow message(s) continue in the background, freeing the worker")]
    private static partial void LogDetached(ILogger logger, string claim, int count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Message {MessageId}: attempted {Due} recipient(s), {Delivered} delivered")]
    private static partial void LogAttempted(ILogger logger, string messageId, int due, int delivered);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Batch {Claim}: {Count} message(s) were claimed by a newer batch and are left to it")]
    private static partial void LogClaimsLost(ILogger logger, string claim, int count);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Message {MessageId}: the store failed around the attempt; it will be retried when its claim lapses")]
    private static partial void LogDeliveryError(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Batch {Claim}: renewing the claim failed; trying again")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string claim);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Message {MessageId}: recording the attempt failed (try {Attempt}); retrying")]
    private static partial void LogRecordRetry(ILogger logger, Exception exception, string messageId, int attempt);
}
