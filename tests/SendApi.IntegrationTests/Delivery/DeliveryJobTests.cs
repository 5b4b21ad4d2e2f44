using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// What Hangfire's dashboard says about delivery is the truth about the mail: a job is Processing
/// while a message it took is in flight and Succeeded (with its counts) only once that message is
/// recorded; deferred mail is a scheduled job at its retry time, and that job is what sends it.
/// </summary>
public abstract class DeliveryJobTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override void Configure(Dictionary<string, string?> settings) => settings["Delivery:RetrySchedule"] = "3s";

    private static object Message(string to) => new { from = "a@acme.test", to = new[] { to }, subject = "jobs", text = "x" };

    [Fact]
    public async Task A_job_is_processing_while_its_message_is_in_flight_and_succeeds_with_its_counts_once_it_is_recorded()
    {
        var jobs = new DeliveryJobs(App);
        var to = $"slow-{Guid.NewGuid():N}@tarpit.test";

        // The tarpit answers DATA after 2 s: the message is "sending" for that long.
        var id = await Http.SendAsync(Message(to));
        await Http.WaitForStatusAsync(id, Patience, "sending");
        var processing = jobs.Processing();
        Assert.NotEmpty(processing);

        var delivered = await Http.WaitForStatusAsync(id, Patience, "delivered");
        var deliveredAt = (DateTimeOffset)Assert.Single(delivered.Events("delivered"))["at"]!;

        // The job that took it was among those processing while it was in flight; it succeeded only
        // after the delivery was recorded, and its result counts it.
        var (job, succeeded, result) = await TheJobThatDeliveredAsync(jobs, processing);
        Assert.True(succeeded.CreatedAt >= deliveredAt.UtcDateTime.AddMilliseconds(-5),
            $"job {job} succeeded at {succeeded.CreatedAt:O}, before its message was delivered at {deliveredAt:O}");
        Assert.Equal(1, Count(result, "Claimed"));
        Assert.Equal(0, Count(result, "Failed"));
        Assert.Equal(0, Count(result, "Deferred"));
    }

    [Fact]
    public async Task Deferred_mail_is_a_scheduled_job_at_its_retry_time_and_that_job_sends_it()
    {
        var jobs = new DeliveryJobs(App);
        var to = $"defer-once-{Guid.NewGuid():N}@example.test";
        var id = await Http.SendAsync(Message(to));

        var deferred = await Http.WaitForStatusAsync(id, Patience, "deferred");
        var retryAt = (DateTimeOffset)deferred.Recipient(to)["next_attempt_at"]!;

        // Hangfire schedules in whole seconds: the job is due at the retry time, rounded up.
        var expected = DateTimeOffset.FromUnixTimeSeconds((retryAt.ToUnixTimeMilliseconds() + 999) / 1000).UtcDateTime;
        var scheduled = await jobs.WaitForScheduledAsync(expected, TimeSpan.FromSeconds(5));
        var page = await OperatorPageAsync("/hangfire/jobs/scheduled");
        Assert.Contains("Deliver due mail (retries fall due)", page);

        await Http.WaitForStatusAsync(id, Patience, "delivered");
        var succeeded = await jobs.WaitForStateAsync(scheduled.Id, "Succeeded", Patience);
        var result = JsonNode.Parse(succeeded.Data["Result"])!;
        Assert.Equal(1, Count(result, "Delivered"));
    }

    /// <summary>A count in a job's result; Hangfire leaves out the ones that are 0.</summary>
    private static int Count(JsonNode result, string name) => (int?)result[name] ?? 0;

    /// <summary>Among <paramref name="candidates"/>, the job whose result says it delivered one message, once it has succeeded.</summary>
    private static async Task<(string Job, Hangfire.Storage.Monitoring.StateHistoryDto Succeeded, JsonNode Result)> TheJobThatDeliveredAsync(
        DeliveryJobs jobs, IReadOnlyList<string> candidates)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var job in candidates)
            {
                var state = jobs.State(job);
                if (state.StateName == "Succeeded" && JsonNode.Parse(state.Data["Result"])! is var result && Count(result, "Delivered") == 1)
                {
                    return (job, state, result);
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"None of the jobs processing while the message was in flight ({string.Join(", ", candidates)}) succeeded with it delivered: "
            + string.Join("; ", candidates.Select(j => $"{j} {jobs.State(j).StateName}")));
    }

    /// <summary>A dashboard page as an operator's browser gets it (Basic authentication with an admin key).</summary>
    private async Task<string> OperatorPageAsync(string path)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{App.HttpPort}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("op:" + SendApiApp.AdminKey)));
        return await client.GetStringAsync(path);
    }
}

public sealed class EmbeddedDeliveryJobTests(DeliveryWorld world) : DeliveryJobTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisDeliveryJobTests(DeliveryWorld world) : DeliveryJobTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}

/// <summary>
/// A batch job an earlier version enqueued (Redis keeps it across an upgrade) releases its claim, so
/// its messages are due at once for today's jobs rather than after their lease.
/// </summary>
public sealed class BatchJobFromAnEarlierVersionTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task An_old_batch_job_releases_its_claim_and_the_message_is_due_again_at_once()
    {
        // No pump, so that nothing but the test claims the message.
        await using var app = new SendApiApp(world.Settings(), services: s => s.Remove(s.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DeliveryPump")));
        var http = app.Client();
        var id = await http.SendAsync(new { from = "a@acme.test", to = new[] { $"upgrade-{Guid.NewGuid():N}@example.test" }, subject = "old batch", text = "x" });

        var queue = app.Services.GetRequiredService<IDeliveryQueue>();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal([id], await queue.ClaimDueAsync("batch-from-before", now, 10, now + TimeSpan.FromMinutes(2), CancellationToken.None));
        Assert.True(await queue.NextDueAsync(CancellationToken.None) > now + TimeSpan.FromMinutes(1));

        var job = app.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<DeliveryJob>(j => j.RunAsync("batch-from-before", new[] { id }, CancellationToken.None));
        await new DeliveryJobs(app).WaitForStateAsync(job, "Succeeded", TimeSpan.FromSeconds(20));

        Assert.True(await queue.NextDueAsync(CancellationToken.None) <= DateTimeOffset.UtcNow);
        Assert.Equal([id], await queue.ClaimDueAsync("today", DateTimeOffset.UtcNow, 10, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2), CancellationToken.None));
    }
}
