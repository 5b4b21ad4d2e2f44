using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>Several hosts in one process (as in these tests) must not share Hangfire state.</summary>
public sealed class HostIsolationTests
{
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
}
