using Hangfire;

namespace SendApi.Webhooks;

/// <summary>Hands webhook deliveries to Hangfire, on the webhooks queue that only the webhook workers serve.</summary>
public sealed class WebhookJobs
{
    private readonly IBackgroundJobClient _jobs;

    internal WebhookJobs(IBackgroundJobClient jobs) => _jobs = jobs;

    /// <summary>The first attempt, at once.</summary>
    internal void Enqueue(string webhookId, string deliveryId) =>
        _jobs.Enqueue<WebhookDeliveryJob>(WebhookDeliveryJob.Queue, j => j.RunAsync(webhookId, deliveryId, 0, CancellationToken.None));

    /// <summary>Automatic retry number <paramref name="retry"/>, after <paramref name="delay"/> (durable in Redis mode).</summary>
    internal void Schedule(string webhookId, string deliveryId, int retry, TimeSpan delay) =>
        _jobs.Schedule<WebhookDeliveryJob>(WebhookDeliveryJob.Queue, j => j.RunAsync(webhookId, deliveryId, retry, CancellationToken.None), delay);

    /// <summary>A manual replay: one fresh attempt now, with the same webhook-id.</summary>
    public void Replay(string webhookId, string deliveryId) =>
        _jobs.Enqueue<WebhookDeliveryJob>(WebhookDeliveryJob.Queue, j => j.ReplayAsync(webhookId, deliveryId, CancellationToken.None));
}
