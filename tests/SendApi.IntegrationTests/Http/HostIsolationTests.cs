using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>Several hosts in one process (as in these tests) must not share Hangfire state.</summary>
public sealed class HostIsolationTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Each_host_enqueues_into_and_serves_its_own_job_storage()
    {
        await using var first = new SendApiApp(new Dictionary<string, string?>());
        first.Client();
        await using var second = new SendApiApp(new Dictionary<string, string?>());
        second.Client();

        var firstStorage = first.Services.GetRequiredService<JobStorage>();
        var secondStorage = second.Services.GetRequiredService<JobStorage>();
        Assert.NotSame(firstStorage, secondStorage);

        var servers = firstStorage.GetMonitoringApi().Servers();
        Assert.NotEmpty(servers);
        Assert.All(servers, s => Assert.DoesNotContain(s.Name, secondStorage.GetMonitoringApi().Servers().Select(x => x.Name)));
    }

    /// <summary>
    /// Hangfire's configuration callback sets the process-wide <c>JobActivator.Current</c> when the
    /// app is built, and its server reads that static when the host starts. A second host built in
    /// between used to hand the first host's jobs to its own container: the first host's delivery
    /// jobs then looked for their claims in the other host's queue, found none, and its mail was
    /// accepted but never delivered (the MX never saw a connection for it). Here the first host is
    /// held between the two moments while the second one starts.
    /// </summary>
    [Fact]
    public async Task Each_host_runs_its_jobs_in_its_own_container_when_another_host_starts_meanwhile()
    {
        var gate = new StartGate();
        await using var first = new SendApiApp(world.Settings(), services: s => s.AddSingleton<IHostLifetime>(gate));
        var starting = Task.Run(() => first.Client());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        await using var second = new SendApiApp(world.Settings());
        var secondClient = second.Client();
        gate.Open();
        var firstClient = await starting.WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var client in new[] { firstClient, secondClient })
        {
            var to = $"bob-{Guid.NewGuid():N}@example.test";
            var id = await client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "s", text = "x" });
            await client.WaitForStatusAsync(id, Patience, "delivered");
            Assert.Contains(world.Mx1.Messages, m => m.RcptTos.Contains(to));
        }

        AssertActivatesFromItsOwnContainer(first);
        AssertActivatesFromItsOwnContainer(second);
    }

    private static void AssertActivatesFromItsOwnContainer(SendApiApp app)
    {
        using var scope = app.Services.GetRequiredService<JobActivator>().BeginScope((JobActivatorContext)null!);
        Assert.Same(app.Services.GetRequiredService<IDeliveryQueue>(), scope.Resolve(typeof(IDeliveryQueue)));
    }

    /// <summary>Holds a host after its app is built (Hangfire configured) and before its hosted services are created.</summary>
    private sealed class StartGate : IHostLifetime
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Open() => _open.TrySetResult();

        public Task WaitForStartAsync(CancellationToken cancellationToken)
        {
            _reached.TrySetResult();
            return _open.Task.WaitAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
