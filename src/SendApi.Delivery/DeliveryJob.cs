using Hangfire;
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

    private readonly IDeliveryQueue _queue;
    private readonly MessageDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly ILogger<DeliveryJob> _logger;

    internal DeliveryJob(IDeliveryQueue queue, MessageDelivery delivery, TimeProvider time, IOptions<DeliveryOptions> options, ILogger<DeliveryJob> logger)
    {
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

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewWhileRunningAsync(claim, owned, lease, stop.Token);
        try
        {
            await Parallel.ForEachAsync(
                owned,
                new ParallelOptions { MaxDegreeOfParallelism = _options.ConcurrencyPerJob, CancellationToken = cancellationToken },
                (id, ct) => new ValueTask(DeliverAsync(claim, id, ct)));
        }
        finally
        {
            await stop.CancelAsync();
            await renewal;
        }
    }

    private async Task DeliverAsync(string claim, string id, CancellationToken cancellationToken)
    {
        try
        {
            var work = await _queue.LoadAsync(id, cancellationToken);
            if (work is null)
            {
                await _queue.CompleteAsync(claim, id, [], [], null, cancellationToken);
                return;
            }

            var now = _time.GetUtcNow();
            var due = MessageDelivery.DueRecipients(work, now);
            if (due.Count > 0)
            {
                await _queue.UpdateRecipientsAsync(id, [.. due.Select(i => new RecipientUpdate(i,
                    work.Recipients[i] with { Status = RecipientStatus.Sending, NextAttemptAt = null, UpdatedAt = now }))], cancellationToken);
            }

            var outcome = due.Count > 0
                ? await _delivery.AttemptAsync(work, due, cancellationToken)
                : new AttemptOutcome([], [], work.Recipients.Where(r => !r.Status.IsFinal()).Select(r => r.NextAttemptAt).Min());

            // Recording is not cancelled by shutdown: what the remote servers said must not be lost.
            await _queue.CompleteAsync(claim, id, outcome.Updates, outcome.Events, outcome.NextDue, CancellationToken.None);
            LogAttempted(_logger, id, due.Count, outcome.Events.Count(e => e.Type == MessageEventTypes.Delivered));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the claim lapses and the message is taken up again.
        }
        catch (Exception ex)
        {
            // Anything unexpected (store down, corrupt record) leaves the claim to lapse, so the
            // message is retried after the lease rather than dropped.
            LogDeliveryError(_logger, ex, id);
        }
    }

    private async Task RenewWhileRunningAsync(string claim, IReadOnlyList<string> ids, TimeSpan lease, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(lease / 3, _time, stop);
                await _queue.RenewAsync(claim, ids, _time.GetUtcNow() + lease, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogRenewFailed(_logger, ex, claim);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Message {MessageId}: attempted {Due} recipient(s), {Delivered} delivered")]
    private static partial void LogAttempted(ILogger logger, string messageId, int due, int delivered);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Batch {Claim}: {Count} message(s) were claimed again by a newer batch and are skipped")]
    private static partial void LogClaimsLost(ILogger logger, string claim, int count);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Message {MessageId}: delivery attempt failed unexpectedly; it will be retried when its claim lapses")]
    private static partial void LogDeliveryError(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Batch {Claim}: renewing the claim failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string claim);
}
