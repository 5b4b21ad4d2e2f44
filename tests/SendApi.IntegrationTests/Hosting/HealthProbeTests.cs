using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Hosting;

/// <summary>
/// <c>dotnet SendApi.dll --healthcheck</c>, as the compose file's health check runs it inside the
/// container (whose image has no curl): the same settings as the server, exit 0 when healthy.
/// </summary>
public sealed class HealthProbeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_probe_exits_0_against_a_running_instance_and_1_when_nothing_answers()
    {
        var port = FreePort.Tcp();
        await using var app = SendApiProcess.Start(new Dictionary<string, string?>(), port);
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Patience));

        var (ready, readyOutput) = await ProbeAsync($"http://0.0.0.0:{port}", "ready");
        var (live, _) = await ProbeAsync($"http://127.0.0.1:{port}", "live");
        var (nothing, nothingOutput) = await ProbeAsync($"http://127.0.0.1:{FreePort.Tcp()}", "ready");

        Assert.True(ready == 0, readyOutput);
        Assert.Contains($"healthy: http://127.0.0.1:{port}/health/ready answered 200", readyOutput);
        Assert.Equal(0, live);
        Assert.True(nothing == 1, nothingOutput);
        Assert.Contains("unhealthy:", nothingOutput);
    }

    [Fact]
    public async Task The_probe_reports_unhealthy_while_storage_does_not_answer()
    {
        var redis = await RedisServer.StartAsync();
        var port = FreePort.Tcp();
        await using var app = SendApiProcess.Start(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis.ConnectionString }, port);
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Patience));

        await redis.DisposeAsync();
        var (ready, output) = await ProbeAsync($"http://127.0.0.1:{port}", "ready");
        var (live, _) = await ProbeAsync($"http://127.0.0.1:{port}", "live");

        Assert.True(ready == 1, output);
        Assert.Contains("answered 503", output);
        Assert.Equal(0, live);
    }

    [Fact]
    public async Task An_unknown_probe_name_is_refused_with_the_choices()
    {
        var (exit, output) = await ProbeAsync("http://127.0.0.1:1", "sideways");

        Assert.Equal(2, exit);
        Assert.Contains("'ready'", output);
        Assert.Contains("'live'", output);
    }

    private static async Task<(int Exit, string Output)> ProbeAsync(string urls, string which)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "SendApi.dll");
        await using var probe = ExternalProcess.Start("dotnet", [dll, "--healthcheck", which], new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = urls }, AppContext.BaseDirectory);
        var exit = await probe.WaitForExitAsync(Patience);
        return (exit, probe.Output);
    }
}
