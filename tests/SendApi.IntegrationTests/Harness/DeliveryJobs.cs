using Hangfire;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Delivery;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The delivery jobs as Hangfire's dashboard lists them (its monitoring API is what the dashboard
/// pages render): which are processing, which are scheduled and when, and each one's states.
/// </summary>
internal sealed class DeliveryJobs(SendApiApp app)
{
    private IMonitoringApi Monitoring => app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();

    public IReadOnlyList<string> Processing() =>
        [.. Monitoring.ProcessingJobs(0, 1000).Where(j => j.Value.Job?.Type == typeof(DeliveryJob)).Select(j => j.Key)];

    public IReadOnlyList<(string Id, DateTime EnqueueAt)> Scheduled() =>
        [.. Monitoring.ScheduledJobs(0, 1000).Where(j => j.Value.Job?.Type == typeof(DeliveryJob)).Select(j => (j.Key, j.Value.EnqueueAt))];

    /// <summary>
    /// The scheduled delivery job due at <paramref name="enqueueAt"/>, once it is there: the retry's
    /// wake-up is scheduled just after the deferral is recorded, so a reader who saw "deferred" may
    /// look a moment before it exists.
    /// </summary>
    public async Task<(string Id, DateTime EnqueueAt)> WaitForScheduledAsync(DateTime enqueueAt, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var due = Scheduled().Where(j => j.EnqueueAt == enqueueAt).ToList();
            if (due.Count > 0)
            {
                return Assert.Single(due);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No delivery job is scheduled at {enqueueAt:O} after {timeout}; scheduled: {string.Join(", ", Scheduled().Select(j => j.EnqueueAt.ToString("O")))}.");
            }

            await Task.Delay(20);
        }
    }

    public IReadOnlyList<string> Succeeded() =>
        [.. Monitoring.SucceededJobs(0, 1000).Where(j => j.Value.Job?.Type == typeof(DeliveryJob)).Select(j => j.Key)];

    public long Waiting() => Monitoring.EnqueuedCount(DeliveryJob.Queue);

    /// <summary>The job's current state (the newest in its history).</summary>
    public StateHistoryDto State(string id) => Monitoring.JobDetails(id).History.OrderByDescending(h => h.CreatedAt).First();

    public async Task<StateHistoryDto> WaitForStateAsync(string id, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var current = State(id);
            if (current.StateName == state)
            {
                return current;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Delivery job {id} is {current.StateName}, not {state}, after {timeout}.");
            }

            await Task.Delay(50);
        }
    }
}
