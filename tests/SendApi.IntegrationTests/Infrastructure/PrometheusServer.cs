using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>) on 127.0.0.1 and a free port, with its own
/// data directory, scraping one target every second with an <c>Authorization: Bearer</c> key, as
/// an operator's scrape config would. Disposing kills it and deletes the directory.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ExternalProcess _process;
    private readonly HttpClient _http;
    private readonly string _directory;

    private PrometheusServer(ExternalProcess process, int port, string directory)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Output => _process.Output;

    /// <param name="target">host:port of the application.</param>
    /// <param name="bearer">The key sent on each scrape; null scrapes without one.</param>
    public static async Task<PrometheusServer> StartAsync(string target, string metricsPath, string? bearer)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing; run tests/run.sh to install Debian's prometheus.", Executable);
        }

        var directory = Directory.CreateTempSubdirectory("sendapi-prometheus-").FullName;
        var authorization = bearer is null ? "" : $"""

                authorization:
                  type: Bearer
                  credentials: '{bearer}'
            """;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: sendapi
                scrape_interval: 1s
                scrape_timeout: 1s
                metrics_path: '{metricsPath}'{authorization}
                static_configs:
                  - targets: ['{target}']
            """);

        var port = FreePort.Tcp();
        var process = ExternalProcess.Start(Executable, [
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
        ]);
        var server = new PrometheusServer(process, port, directory);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The value of an instant PromQL query that returns one sample (a sum, say); null when it returns none.</summary>
    public async Task<double?> QueryAsync(string promql)
    {
        var json = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}"))!;
        if ((string?)json["status"] != "success")
        {
            throw new InvalidOperationException($"Prometheus refused {promql}: {json}");
        }

        var result = json["data"]!["result"]!.AsArray();
        return result.Count == 0 ? null : double.Parse((string)result[0]!["value"]![1]!, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <paramref name="promql"/> until it returns <paramref name="expected"/>; returns the last value either way.</summary>
    public async Task<double?> WaitForAsync(string promql, double expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        double? value;
        while ((value = await QueryAsync(promql)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        return value;
    }

    /// <summary>The health of the scrape target as Prometheus sees it ("up", "down", "unknown") and its last error.</summary>
    public async Task<(string Health, string Error)> TargetAsync()
    {
        var json = JsonNode.Parse(await _http.GetStringAsync("/api/v1/targets"))!;
        var target = json["data"]!["activeTargets"]!.AsArray().FirstOrDefault();
        return ((string?)target?["health"] ?? "none", (string?)target?["lastError"] ?? "");
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited at start.\n{_process.Describe()}");
            }

            try
            {
                if ((await _http.GetAsync("/-/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"prometheus was not ready within {StartTimeout}.\n{_process.Describe()}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
