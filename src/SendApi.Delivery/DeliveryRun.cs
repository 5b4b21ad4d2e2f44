using Microsoft.Extensions.Logging;
using SendApi.Core.Messages;
using SendApi.Core.Storage;

namespace SendApi.Delivery;

/// <summary>
/// The work of one delivery job: it claims due messages from the delivery queue as its slots free
/// up, delivers and records each, and renews the leases of what it holds. It ends once it no
/// longer claims and its last message is recorded. Nothing leaves it: a message it took is
/// finished by it, or, if the process dies, taken up again by another when its lease runs out.
/// </summary>
internal sealed partial class DeliveryRun(
    string claim,
    IDeliveryQueue queue,
    MessageDelivery delivery,
    DueMailSignal dueMail,
    RetryWakeUps wakeUps,
    TimeProvider time,
    DeliveryOptions options,
    IStorageAvailability storage,
    ILogger logger)
{
    private readonly HeldClaims _held = new();
    private readonly DeliveryTally _tally = new();
    private readonly AsyncSignal _finished = new();
    private int _inFlight;
    private int _inFlightYoung;

    /// <summary>
    /// Claims while younger than <see cref="DeliveryOptions.JobLifetime"/>, and after that while a
    /// message claimed before then is still in flight: a job held up by a slow MX anyway keeps its
    /// other slots busy, so the slow MX costs one slot rather than a worker. Stopping (shutdown)
    /// ends claiming at once; the deliveries in flight record what they did and put the rest back.
    /// </summary>
    public async Task<DeliveryJobResult> RunAsync(CancellationToken stop)
    {
        var lease = options.ClaimLeaseValue;
        var slots = options.ConcurrencyPerJob;
        // One claim per freed slot would cost a store round trip per message; a quarter of the
        // slots at a time keeps most of them busy for a fraction of the trips.
        var refill = Math.Max(1, slots / 4);
        var youngUntil = time.GetUtcNow() + options.JobLifetimeValue;
        var dry = false;

        using var renewalStop = new CancellationTokenSource();
        var renewal = _held.RenewWhileRunningAsync(queue, claim, lease, time, storage, logger, renewalStop.Token);
        TaskCompletionSource? idle = null;
        var newMailForUs = false;
        try
        {
            while (true)
            {
                // Taken before the state is read, so that a message finishing in between is not missed.
                var finished = _finished.Next;

                var now = time.GetUtcNow();
                var young = now < youngUntil;
                var claiming = !stop.IsCancellationRequested && (young || Volatile.Read(ref _inFlightYoung) > 0);
                var free = slots - Volatile.Read(ref _inFlight);
                if (claiming && !dry && free >= refill)
                {
                    newMailForUs = false;
                    dry = await ClaimAndStartAsync(free, young, now, lease, stop) < free;
                    continue;
                }

                if (newMailForUs && !claiming)
                {
                    // Woken for new mail just as it stopped claiming: another job (or the pump) takes it.
                    dueMail.Notify();
                    newMailForUs = false;
                }

                if (Volatile.Read(ref _inFlight) == 0 && (!claiming || dry))
                {
                    break;
                }

                if (!(claiming && dry))
                {
                    // Slots are full, or the job no longer claims: only a finished message changes anything.
                    await finished;
                    continue;
                }

                // The queue ran dry: new mail of this instance, or the poll (other instances' mail,
                // retries, lapsed leases), is worth another claim; so is a finished message's slot
                // only once one of those came. Registered once per dry spell, not per wait.
                idle ??= dueMail.WaitAsIdle();
                if (await WaitAsync(finished, idle.Task, stop))
                {
                    newMailForUs = idle.Task.IsCompletedSuccessfully;
                    idle.TrySetCanceled();
                    idle = null;
                    dry = false;
                }
            }
        }
        finally
        {
            idle?.TrySetCanceled();
            await renewalStop.CancelAsync();
            await renewal;
        }

        return _tally.Result(stoppedByShutdown: stop.IsCancellationRequested);
    }

    /// <summary>Claims up to <paramref name="max"/> due messages and starts delivering each; returns how many it got.</summary>
    private async Task<int> ClaimAndStartAsync(int max, bool young, DateTimeOffset now, TimeSpan lease, CancellationToken stop)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = await queue.ClaimDueAsync(claim, now, max, now + lease, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex)
        {
            // The store is unreachable. An outage is logged once by the availability watch, not at
            // every claim it fails.
            if (!storage.TryNoteOutage(ex))
            {
                LogClaimFailed(logger, ex, claim);
            }

            // The claim may have been carried out with only its reply lost (Redis killed after
            // writing it, a timeout): what it took would wait out the lease under a claim nobody
            // works. Once the store answers, what the claim holds is read back and delivered.
            if (await ReclaimWhenTheStoreAnswersAsync(lease, stop) is { } reclaimed)
            {
                ids = reclaimed;
            }
            else if (Volatile.Read(ref _inFlight) > 0 || _tally.HasClaimed)
            {
                // Finish what is in flight and try again at the next poll, or, with nothing in
                // flight, end with what was done.
                return 0;
            }
            else
            {
                // A job that could claim nothing at all fails, which is what its Hangfire state then says.
                throw;
            }
        }

        _held.Add(ids);
        _tally.Claimed(ids.Count);
        foreach (var id in ids)
        {
            Interlocked.Increment(ref _inFlight);
            if (young)
            {
                Interlocked.Increment(ref _inFlightYoung);
            }

            // Off this loop: parsing and signing a message is CPU work the slots should share.
            _ = Task.Run(() => DeliverInSlotAsync(id, young, stop), CancellationToken.None);
        }

        return ids.Count;
    }

    /// <summary>Waits for a message to finish, new mail, or the poll; true for the latter two.</summary>
    private async Task<bool> WaitAsync(Task finished, Task newMail, CancellationToken stop)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var tick = Task.Delay(options.PollIntervalValue, time, poll.Token);
        var first = await Task.WhenAny(finished, newMail, tick);
        await poll.CancelAsync();
        return first != finished;
    }

    private async Task DeliverInSlotAsync(string id, bool young, CancellationToken stop)
    {
        try
        {
            await DeliverAsync(id, stop);
        }
        finally
        {
            _held.Release(id);
            if (young)
            {
                Interlocked.Decrement(ref _inFlightYoung);
            }

            Interlocked.Decrement(ref _inFlight);
            _finished.Set();
        }
    }

    private async Task DeliverAsync(string id, CancellationToken stop)
    {
        var attempting = false;
        try
        {
            if (!_held.Contains(id))
            {
                // The renewal found it taken over while it waited to start.
                _tally.TakenOver();
                return;
            }

            var work = await queue.LoadAsync(id, stop);
            // The stored bytes (and the bodies parsed over them) are read until the attempt is recorded.
            using var buffer = work?.Buffer;
            if (work is null)
            {
                // No record (gone past retention, or never there): the store drops the entry only
                // after checking for the record itself, so a read that missed it loses nothing.
                switch (await queue.ForgetAsync(claim, id, time.GetUtcNow() + storage.RetryAfter, CancellationToken.None))
                {
                    case ForgetOutcome.PutBack:
                        LogRecordNotRead(logger, id, storage.RetryAfter);
                        break;
                    case ForgetOutcome.NotHeld:
                        LogClaimsLost(logger, claim, 1);
                        _tally.TakenOver();
                        break;
                }

                return;
            }

            var now = time.GetUtcNow();
            var due = MessageDelivery.DueRecipients(work, now);
            if (due.Count > 0 && !await queue.UpdateRecipientsAsync(claim, id, [.. due.Select(i => new RecipientUpdate(i,
                    work.Recipients[i] with { Status = RecipientStatus.Sending, NextAttemptAt = null, UpdatedAt = now }))], stop))
            {
                // A newer claim took the message over: it is that job's now.
                LogClaimsLost(logger, claim, 1);
                _tally.TakenOver();
                return;
            }

            // From here on the attempt is recorded whatever happens, shutdown included, so that a
            // recipient who got its 250 is never sent the message again.
            attempting = true;
            var outcome = due.Count > 0
                ? await delivery.AttemptAsync(work, due, stop)
                : new AttemptOutcome([], [], work.Recipients.Where(r => !r.Status.IsFinal()).Select(r => r.NextAttemptAt).Min());
            await CompleteAsync(id, outcome);
            _tally.Attempted(due.Count, outcome.Events);
            WakeForRetries(work, outcome);
            LogAttempted(logger, id, due.Count, outcome.Events.Count(e => e.Type == MessageEventTypes.Delivered));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await PutBackAsync(id);
        }
        catch (Exception ex)
        {
            // The store failed before or after the attempt: the message is retried rather than
            // dropped. An outage is logged once, when it starts.
            var outage = storage.TryNoteOutage(ex);
            if (!outage)
            {
                LogDeliveryError(logger, ex, id);
            }

            _tally.StoreError();
            if (!attempting && outage)
            {
                // Nothing was sent (loading it or marking it "sending" failed as Redis went down
                // just after the claim): hand it back, due at once, as soon as the store answers,
                // rather than leave it to wait out its lease (2 minutes) after a short outage. Any
                // other failure (a record that cannot be read) keeps the lease as its pace, so that
                // it is not retried four times a second.
                await PutBackWhenTheStoreAnswersAsync(id, stop);
            }
        }
    }

    private Task PutBackWhenTheStoreAnswersAsync(string id, CancellationToken stop) =>
        WhenTheStoreAnswersAsync(
            () => queue.CompleteAsync(claim, id, [], [], time.GetUtcNow(), null, CancellationToken.None),
            time.GetUtcNow() + options.ClaimLeaseValue,
            ex => LogDeliveryError(logger, ex, id),
            stop);

    /// <summary>
    /// After a failed claim: the messages the claim holds that this job does not know of, read back
    /// once the store answers (their lease renewed), or null if it did not answer within a lease
    /// (by then they are due again anyway) or the job is stopping.
    /// </summary>
    private async Task<IReadOnlyList<string>?> ReclaimWhenTheStoreAnswersAsync(TimeSpan lease, CancellationToken stop)
    {
        IReadOnlyList<string>? reclaimed = null;
        if (!await WhenTheStoreAnswersAsync(
                async () => reclaimed = await queue.ReclaimAsync(claim, _held.Snapshot(), time.GetUtcNow() + lease, stop),
                time.GetUtcNow() + lease,
                ex => LogClaimFailed(logger, ex, claim),
                stop))
        {
            return null;
        }

        if (reclaimed!.Count > 0)
        {
            LogReclaimed(logger, claim, reclaimed.Count);
        }

        return reclaimed;
    }

    /// <summary>
    /// Makes <paramref name="step"/> once the store answers: tried after 250 ms, then after twice as
    /// long each time (up to 2 s) while the store is out, which the availability watch notes once.
    /// False when it gave up, leaving the lease as the fallback: the job is stopping, the store did
    /// not answer before <paramref name="giveUpAt"/>, or a failure that is no outage (logged).
    /// </summary>
    private async Task<bool> WhenTheStoreAnswersAsync(Func<Task> step, DateTimeOffset giveUpAt, Action<Exception> logFailure, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested && time.GetUtcNow() + delay < giveUpAt)
        {
            try
            {
                await Task.Delay(delay, time, stop);
                await step();
                return true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex)
            {
                if (!storage.TryNoteOutage(ex))
                {
                    logFailure(ex);
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }

        return false;
    }

    /// <summary>Shutting down before the attempt began: the message is due again at once, not only when its lease runs out.</summary>
    private async Task PutBackAsync(string id)
    {
        try
        {
            await queue.CompleteAsync(claim, id, [], [], time.GetUtcNow(), null, CancellationToken.None);
            _tally.PutBack(1);
        }
        catch (Exception ex)
        {
            if (!storage.TryNoteOutage(ex))
            {
                LogDeliveryError(logger, ex, id);
            }

            _tally.StoreError();
        }
    }

    /// <summary>
    /// Records an attempt, riding out a store outage for as long as the claim's lease: the outcome
    /// is only in this process's memory, and once the store is back the record is what spares the
    /// recipients a second copy and the message a wait for its lease. An outage is logged once (by
    /// the availability watch), any other failure at each try.
    /// </summary>
    private async Task CompleteAsync(string id, AttemptOutcome outcome)
    {
        var giveUpAt = time.GetUtcNow() + options.ClaimLeaseValue;
        var delay = TimeSpan.FromMilliseconds(250);
        // One name for every try: a try whose reply was lost may have been carried out, and its
        // retry must not record the events (webhooks, counts) a second time.
        var recording = Guid.NewGuid().ToString("N");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await queue.CompleteAsync(claim, id, outcome.Updates, outcome.Events, outcome.NextDue, recording, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (time.GetUtcNow() + delay < giveUpAt)
            {
                if (!storage.TryNoteOutage(ex))
                {
                    LogRecordRetry(logger, ex, id, attempt);
                }

                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>Each recipient that got a temporary failure just now has its retry time; a scheduled job wakes delivery then.</summary>
    private void WakeForRetries(DeliveryWork work, AttemptOutcome outcome)
    {
        foreach (var update in outcome.Updates)
        {
            if (update.State is { Status: RecipientStatus.Deferred, NextAttemptAt: { } next }
                && update.State.Attempts > work.Recipients[update.Index].Attempts)
            {
                wakeUps.Ensure(next);
            }
        }
    }

    // Log event ids 2000–2009, shared with DeliveryJob whose category these events keep (SendApi.Delivery's
    // range is 2000–2999, see docs/logging.md); 2006 is retired (batches no longer move to the background); the range is full: a new one comes from 2080–2099.
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Message {MessageId}: attempted {Due} recipient(s), {Delivered} delivered")]
    private static partial void LogAttempted(ILogger logger, string messageId, int due, int delivered);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Claim {Claim}: {Count} message(s) were taken over by a newer claim and are left to it")]
    internal static partial void LogClaimsLost(ILogger logger, string claim, int count);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Message {MessageId}: the store failed around the attempt; it is handed back once the store answers if nothing was sent, else retried when its claim lapses")]
    private static partial void LogDeliveryError(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Claim {Claim}: renewing the lease failed; trying again")]
    internal static partial void LogRenewFailed(ILogger logger, Exception exception, string claim);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Message {MessageId}: recording the attempt failed (try {Attempt}); retrying")]
    private static partial void LogRecordRetry(ILogger logger, Exception exception, string messageId, int attempt);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Message {MessageId}: its record could not be read, yet the store holds it; tried again in {Delay}")]
    private static partial void LogRecordNotRead(ILogger logger, string messageId, TimeSpan delay);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Claim {Claim}: a claim whose reply was lost had taken {Count} message(s); they are delivered now rather than after their lease")]
    private static partial void LogReclaimed(ILogger logger, string claim, int count);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Claim {Claim}: claiming due mail failed; the job finishes what it holds and tries again at its next poll")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception, string claim);
}
