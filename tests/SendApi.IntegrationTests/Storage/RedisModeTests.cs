using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using SendApi.Storage;

namespace SendApi.IntegrationTests.Storage;

/// <summary>The application with <c>ConnectionStrings:Redis</c> set: Hangfire and every store on a real redis-server.</summary>
public sealed class RedisModeTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly DeliveryWorld _world;
    private RedisServer _redis = null!;
    private SendApiApp _app = null!;

    public RedisModeTests(DeliveryWorld world) => _world = world;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _app = new SendApiApp(_world.Settings(new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString }));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Job_enqueued_on_redis_starts_within_a_second()
    {
        // Guards the RESP2 setting: under RESP3 Hangfire misses its pub/sub wake-up and the job
        // waits for the fetch timeout instead.
        _app.Client();
        Assert.True(_app.Services.GetRequiredService<StorageMode>().IsRedis);
        var jobs = _app.Services.GetRequiredService<IBackgroundJobClient>();

        // Let the server finish its start-up, then time a few jobs.
        await ProbeJob.RunAndWaitAsync(jobs, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            var elapsed = await ProbeJob.RunAndWaitAsync(jobs, TimeSpan.FromSeconds(5));
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"The job started after {elapsed.TotalMilliseconds:0} ms.");
        }
    }

    [Fact]
    public async Task Message_is_delivered_and_its_history_kept_in_redis()
    {
        var client = _app.Client();
        var to = $"redis-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "via redis", text = "x" });

        await _world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20), m => m.RcptTos.Contains(to));
        var message = await client.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "delivered");
        Assert.Equal(["queued", "delivered"], message["events"]!.AsArray().Select(e => (string)e!["type"]!));
        Assert.Equal(":1", await _redis.ExecuteAsync("EXISTS", $"sendapi:msg:{id}"));
        Assert.Equal("Healthy", await _app.Client(apiKey: null).GetStringAsync("/health/ready"));
    }
}

/// <summary>A Hangfire job that only reports when it started.</summary>
public static class ProbeJob
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Started = new();

    public static void Run(string token)
    {
        if (Started.TryGetValue(token, out var started))
        {
            started.TrySetResult();
        }
    }

    public static async Task<TimeSpan> RunAndWaitAsync(IBackgroundJobClient jobs, TimeSpan timeout)
    {
        var token = Guid.NewGuid().ToString("N");
        var started = Started.GetOrAdd(token, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var clock = Stopwatch.StartNew();
        jobs.Enqueue(() => Run(token));
        await started.Task.WaitAsync(timeout);
        return clock.Elapsed;
    }
}
