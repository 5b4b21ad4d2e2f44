using Microsoft.Extensions.Logging;
using SendApi.Core.Messages;
using SendApi.Core.Storage;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Diagnostics;
using SendApi.Delivery.Throttling;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery;

/// <summary>
/// One attempt at one message, step by step: record the recipients an interrupted attempt already
/// got a 250 for; read and sign each body the others receive; then, per group of recipients that
/// share a domain and a body, wait for the domain's turn, send through the transport, slow the
/// domain down if it asked, record the replies and note their 250s in the store at once; last, put back
/// what was not reached, and log and count what happened. Each step is its own type; this is the whole attempt at a glance.
/// </summary>
internal sealed class MessageDelivery(
    MessageBodies bodies,
    DomainTurns turns,
    TransactionSender sender,
    DomainBackoff backoff,
    RetryPolicy retry,
    AttemptWatch watch,
    IDeliveryQueue queue,
    IStorageAvailability storage,
    ILogger<MessageDelivery> logger,
    TimeProvider time)
{
    /// <summary>Recipients to attempt now: not final and due (a "sending" left over from a dead worker is due too).</summary>
    public static IReadOnlyList<int> DueRecipients(DeliveryWork work, DateTimeOffset now) =>
        [.. Enumerable.Range(0, work.Recipients.Count).Where(i =>
            !work.Recipients[i].Status.IsFinal() && (work.Recipients[i].NextAttemptAt is null || work.Recipients[i].NextAttemptAt <= now))];

    /// <summary>
    /// Attempts the due recipients. Never throws for what happens on the way: a failure becomes a
    /// reply to record, and on cancellation (shutdown) the groups already done are recorded and
    /// the rest are put back, due at once, so that nothing delivered is delivered twice.
    /// </summary>
    public async Task<AttemptOutcome> AttemptAsync(DeliveryWork work, IReadOnlyList<int> due, CancellationToken cancellationToken)
    {
        var attempt = new AttemptRecord(work, retry, time);
        var toSend = attempt.AcceptedEarlier(due);
        if (work.BodyMissing && toSend.Count > 0)
        {
            // Not an attempt, and not the message's fault: the store has its record but not its
            // body (read across a failover, or evicted). Sending would mean sending nothing; the
            // recipients wait for the store, and fail only at the maximum age.
            var until = turns.PostponedUntil(work, storage.RetryAfter);
            MessageDeliveryLog.LogBodyMissing(logger, work.Envelope.Id, until);
            attempt.Postpone(toSend, until, PostponedFor.Body);
            toSend = [];
        }

        using var signed = await bodies.PrepareAsync(work, toSend, cancellationToken);
        attempt.Unreadable(signed.Unreadable);
        // Not an attempt either: what can't be signed (the DKIM key, the return path's key) while
        // the store is down waits for the store rather than going out unsigned.
        var storeWait = turns.PostponedUntil(work, storage.RetryAfter);
        attempt.Postpone(signed.WaitingForStore, storeWait, PostponedFor.Store);
        var readable = signed.Readable;
        if (readable.Count > 0 && !await sender.ReturnPathKeyAtHandAsync(cancellationToken))
        {
            attempt.Postpone(readable, storeWait, PostponedFor.Store);
            readable = [];
        }

        var transport = sender.TransportFor(work);
        var sentTransactions = new List<(RecipientGroup, SentTransaction)>();
        var groups = RecipientGroup.Of(work, readable).ToList();
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var turn = await turns.WaitAsync(group.Domain, transport, cancellationToken);
            if (turn.IsCancelled)
            {
                break;
            }

            if (!turn.Granted)
            {
                // Not an attempt: the recipients wait for the domain's next free slot, off the workers.
                attempt.Postpone(group.Recipients, turns.PostponedUntil(work, turn.Wait), PostponedFor.DomainLimit);
                continue;
            }

            if (await sender.SendAsync(transport, work, group, signed[group.Variant], turn, cancellationToken) is not { } sent)
            {
                break;
            }

            attempt.Add(await backoff.SlowDownIfAskedAsync(work, group, sent.Replies));
            // The 250s are noted now, not only when the whole attempt is recorded: a crash during a
            // later transaction then costs no second copy to these recipients. After the last one the
            // attempt is recorded at once (within a millisecond, measured in docs/reliability.md), so a
            // note would cost a store call per message and close no window worth one.
            var delivered = attempt.Replies(group, sent);
            if (g < groups.Count - 1)
            {
                queue.NoteAccepted(work.Envelope.Id, delivered);
            }

            sentTransactions.Add((group, sent));
        }

        var outcome = attempt.Finish(due, turns.GiveUpAt(work));
        watch.Recorded(work, sentTransactions, outcome);
        return outcome;
    }
}
