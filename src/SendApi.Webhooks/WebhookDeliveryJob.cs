using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Diagnostics;
using SendApi.Core.Webhooks;

namespace SendApi.Webhooks;

/// <summary>
/// The Hangfire job that makes one attempt of one delivery and records it: 2xx succeeds, 410
/// disables the endpoint, anything else schedules the next retry (Retry-After, or the schedule's
/// next step) until the schedule runs out. Each automatic job carries its position in the
/// schedule, so a duplicate of an attempt that has since been recorded does nothing.
/// </summary>
public sealed partial class WebhookDeliveryJob
{
    public const string Queue = "webhooks";

    private readonly IWebhookStore _webhooks;
    private readonly IWebhookDeliveryLog _log;
    private readonly WebhookSender _sender;
    private readonly WebhookJobs _jobs;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<TimeSpan> _schedule;
    private readonly SendApiMetrics _metrics;
    private readonly ILogger<WebhookDeliveryJob> _logger;

    internal WebhookDeliveryJob(
        IWebhookStore webhooks, IWebhookDeliveryLog log, WebhookSender sender, WebhookJobs jobs, TimeProvider time, IOptions<WebhookOptions> options, SendApiMetrics metrics, ILogger<WebhookDeliveryJob> logger)
    {
        _webhooks = webhooks;
        _log = log;
        _sender = sender;
        _jobs = jobs;
        _time = time;
        _schedule = options.Value.RetryScheduleValue;
        _metrics = metrics;
        _logger = logger;
    }

    // HTTP failures are recorded and retried on our schedule; Hangfire retries only a failing store.
    [AutomaticRetry(Attempts = 3)]
    [Queue(Queue)]
    [JobDisplayName("Webhook {0}: delivery {1}, retry {2}")]
    public async Task RunAsync(string webhookId, string deliveryId, int retry, CancellationToken cancellationToken)
    {
        var delivery = await _log.FindAsync(webhookId, deliveryId, cancellationToken);
        if (delivery is null || delivery.Status != WebhookDeliveryStatus.Pending || delivery.Retries != retry)
        {
            // Deleted with its endpoint, or this attempt was made already (a duplicate job).
            return;
        }

        await AttemptAsync(delivery, manual: false, cancellationToken);
    }

    [AutomaticRetry(Attempts = 3)]
    [Queue(Queue)]
    [JobDisplayName("Webhook {0}: delivery {1}, replay")]
    public async Task ReplayAsync(string webhookId, string deliveryId, CancellationToken cancellationToken)
    {
        if (await _log.FindAsync(webhookId, deliveryId, cancellationToken) is { } delivery)
        {
            await AttemptAsync(delivery, manual: true, cancellationToken);
        }
    }

    private async Task AttemptAsync(WebhookDelivery delivery, bool manual, CancellationToken cancellationToken)
    {
        var webhook = await _webhooks.FindAsync(delivery.AccountId, delivery.WebhookId, cancellationToken);
        if (webhook is null)
        {
            return;
        }

        var now = _time.GetUtcNow();
        if (!webhook.IsEnabled)
        {
            await _log.SaveAsync(delivery with
            {
                Status = delivery.Status == WebhookDeliveryStatus.Pending ? WebhookDeliveryStatus.Failed : delivery.Status,
                NextRetryAt = null,
                History = Append(delivery.History, new WebhookAttempt(now, null, 0, $"Not sent: the endpoint is disabled ({webhook.DisabledReason}).", manual)),
            }, CancellationToken.None);
            return;
        }

        if (delivery.Attempts == 0)
        {
            _metrics.WebhookLag(now - delivery.CreatedAt);
        }

        var result = await _sender.SendAsync(webhook, delivery, now, cancellationToken);
        _metrics.WebhookAttempt(result.Succeeded ? "success" : result.Gone ? "gone" : result.StatusCode is null ? "no_response" : "http_error");
        var attempted = delivery with
        {
            Attempts = delivery.Attempts + 1,
            History = Append(delivery.History, new WebhookAttempt(now, result.StatusCode, result.LatencyMs, result.Error, manual)),
        };

        // From here the attempt happened: record it even when the host is shutting down.
        WebhookDelivery recorded;
        if (result.Succeeded)
        {
            recorded = attempted with { Status = WebhookDeliveryStatus.Succeeded, NextRetryAt = null };
        }
        else if (result.Gone)
        {
            await _webhooks.DisableAsync(webhook.AccountId, webhook.Id, now, $"answered 410 Gone at {now:yyyy-MM-ddTHH:mm:ssZ}", CancellationToken.None);
            LogDisabled(_logger, webhook.Id);
            recorded = attempted with { Status = WebhookDeliveryStatus.Failed, NextRetryAt = null };
        }
        else if (manual)
        {
            // A replay is one attempt; a retry already scheduled keeps its turn.
            recorded = attempted with { Status = delivery.Status == WebhookDeliveryStatus.Pending ? WebhookDeliveryStatus.Pending : WebhookDeliveryStatus.Failed };
        }
        else if (delivery.Retries < _schedule.Count)
        {
            // Hangfire keeps due times in whole seconds and may start a job up to a second early:
            // harmless for the schedule, but Retry-After is a "not before", so it gets the second back.
            var delay = result.RetryAfter is { } asked ? asked + TimeSpan.FromSeconds(1) : _schedule[delivery.Retries];
            // Scheduled before the record is saved: a crash in between repeats an attempt rather than losing the retry.
            _jobs.Schedule(webhook.Id, delivery.Id, delivery.Retries + 1, delay);
            recorded = attempted with { Retries = delivery.Retries + 1, NextRetryAt = now + delay };
        }
        else
        {
            LogGaveUp(_logger, webhook.Id, delivery.Id, attempted.Attempts);
            recorded = attempted with { Status = WebhookDeliveryStatus.Failed, NextRetryAt = null };
        }

        await _log.SaveAsync(recorded, CancellationToken.None);
        LogAttempt(_logger, webhook.Id, delivery.Id, result.StatusCode, result.LatencyMs, recorded.Status);
    }

    private static WebhookAttempt[] Append(IReadOnlyList<WebhookAttempt> history, WebhookAttempt attempt) =>
        [.. history.Skip(Math.Max(0, history.Count + 1 - WebhookLimits.AttemptsPerDelivery)), attempt];

    // Log event ids 4000–4009 (SendApi.Webhooks' range is 4000–4999, see docs/logging.md); next free: 4004.
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Webhook {WebhookId}: delivery {DeliveryId} answered {StatusCode} in {LatencyMs} ms; now {Status}")]
    private static partial void LogAttempt(ILogger logger, string webhookId, string deliveryId, int? statusCode, long latencyMs, WebhookDeliveryStatus status);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Webhook {WebhookId} answered 410 Gone and is disabled")]
    private static partial void LogDisabled(ILogger logger, string webhookId);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: delivery {DeliveryId} failed for good after {Attempts} attempt(s)")]
    private static partial void LogGaveUp(ILogger logger, string webhookId, string deliveryId, int attempts);
}
