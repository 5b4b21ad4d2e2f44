using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Storage;
using SendApi.Core.Webhooks;

namespace SendApi.Webhooks;

/// <summary>
/// Turns outbox events into deliveries: for each event, one record per endpoint of its account
/// that subscribes to its type, each handed to Hangfire as a job; only then is the event
/// acknowledged. One per instance, and it never waits on an endpoint: HTTP happens in the jobs.
/// A dispatcher that dies leaves its events pending; another (or itself, restarted) claims them
/// after <see cref="WebhookOptions.ClaimTimeout"/> and finds the records made before (their ids
/// are derived from event and endpoint), so nothing is lost and little is repeated.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookOutbox outbox,
    IWebhookStore webhooks,
    IWebhookDeliveryLog log,
    WebhookJobs jobs,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    IStorageAvailability storage,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    // Unique per process, so that what this process left pending is told apart from a live peer's.
    private readonly string _consumer = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var claimEvery = o.ClaimTimeoutValue / 2;
        Stopwatch? sinceClaim = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                IReadOnlyList<WebhookEvent> batch = [];
                if (sinceClaim is null || sinceClaim.Elapsed >= claimEvery)
                {
                    batch = await outbox.ClaimAbandonedAsync(_consumer, o.ClaimTimeoutValue, o.BatchSize, stoppingToken);
                    sinceClaim = batch.Count < o.BatchSize ? Stopwatch.StartNew() : sinceClaim;
                    if (batch.Count > 0)
                    {
                        LogClaimed(logger, batch.Count);
                    }
                }

                if (batch.Count == 0)
                {
                    batch = await outbox.ReadAsync(_consumer, o.BatchSize, stoppingToken);
                }

                if (batch.Count == 0)
                {
                    await outbox.WaitAsync(o.PollIntervalValue, stoppingToken);
                    continue;
                }

                await DispatchAsync(batch, stoppingToken);
                await outbox.AcknowledgeAsync([.. batch.Select(e => e.Id)], stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The batch stays pending and is claimed again after ClaimTimeout. A store outage is
                // logged once, by the tracker.
                if (!storage.TryNoteOutage(ex))
                {
                    LogDispatchFailed(logger, ex);
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task DispatchAsync(IReadOnlyList<WebhookEvent> batch, CancellationToken cancellationToken)
    {
        var endpoints = new Dictionary<string, IReadOnlyList<Webhook>>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        foreach (var e in batch)
        {
            if (!endpoints.TryGetValue(e.AccountId, out var accountEndpoints))
            {
                endpoints[e.AccountId] = accountEndpoints = await webhooks.ListAsync(e.AccountId, cancellationToken);
            }

            string? payload = null;
            foreach (var webhook in accountEndpoints.Where(w => w.Receives(e.Type)))
            {
                payload ??= WebhookPayload.Serialize(e);
                var delivery = new WebhookDelivery(
                    WebhookDelivery.IdFor(e.Id, webhook.Id), webhook.Id, e.AccountId, e.Id, e.Type, (e.Data as MessageEventData)?.MessageId,
                    payload, now, WebhookDeliveryStatus.Pending, Attempts: 0, Retries: 0, NextRetryAt: null, History: []);
                if (await log.AddAsync(delivery, cancellationToken)
                    || await log.FindAsync(webhook.Id, delivery.Id, cancellationToken) is { Status: WebhookDeliveryStatus.Pending, Attempts: 0, Retries: 0 })
                {
                    // New, or made by a dispatcher that may have died before creating its job. If
                    // that job does exist, the endpoint may get the first attempt twice, with the
                    // same webhook-id: at least once, as promised; the job skips attempts already recorded.
                    jobs.Enqueue(webhook.Id, delivery.Id);
                }
            }
        }

        LogDispatched(logger, batch.Count);
    }

    // Log event ids 4010–4019 (SendApi.Webhooks' range is 4000–4999, see docs/logging.md); next free: 4013.
    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Dispatched {Count} webhook event(s)")]
    private static partial void LogDispatched(ILogger logger, int count);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Took over {Count} webhook event(s) a dispatcher left unfinished")]
    private static partial void LogClaimed(ILogger logger, int count);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Dispatching webhook events failed; they are taken up again after Webhooks:ClaimTimeout")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);
}
