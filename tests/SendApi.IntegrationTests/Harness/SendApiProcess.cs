using System.Globalization;
using System.Net.Http.Headers;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// SendApi as its own operating-system process (<c>dotnet SendApi.dll</c>), configured through
/// environment variables exactly as an operator would, so that a test can SIGKILL it.
/// </summary>
public sealed class SendApiProcess : IAsyncDisposable
{
    private readonly ExternalProcess _process;

    private SendApiProcess(ExternalProcess process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <param name="withoutPortPrivilege">
    /// Runs the app without the right to bind ports below 1024, as an ordinary user would: when the
    /// tests run as root, CAP_NET_BIND_SERVICE is dropped from its bounding set (setpriv).
    /// </param>
    public static SendApiProcess Start(IReadOnlyDictionary<string, string?> settings, int? port = null, bool withoutPortPrivilege = false)
    {
        var httpPort = port ?? FreePort.Tcp();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Admin__ApiKey"] = SendApiApp.AdminKey,
            ["Logging__Console__FormatterName"] = "simple",
            ["Smtp__BindAddress"] = "127.0.0.1",
            // Never the machine's resolver (it is off loopback); tests that want DNS name a dnsmasq.
            ["Dns__Servers"] = "127.0.0.1:1",
            ["Smtp__Submission__Port"] = FreePort.Tcp().ToString(CultureInfo.InvariantCulture),
            ["Smtp__SubmissionTls__Port"] = FreePort.Tcp().ToString(CultureInfo.InvariantCulture),
            // Not the production default (25): two processes at once (test classes run in parallel)
            // would both want it, and the second would stop at start.
            ["Smtp__Inbound__Port"] = FreePort.Tcp().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var dll = Path.Combine(AppContext.BaseDirectory, "SendApi.dll");
        var process = withoutPortPrivilege && Environment.UserName == "root"
            ? ExternalProcess.Start("setpriv", ["--bounding-set=-net_bind_service", "--", "dotnet", dll], environment, AppContext.BaseDirectory)
            : ExternalProcess.Start("dotnet", [dll], environment, AppContext.BaseDirectory);
        return new SendApiProcess(process, httpPort);
    }

    /// <summary>Waits for /health/ready, or for the process to exit (returns its exit code then).</summary>
    public async Task<int?> WaitUntilReadyOrExitAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Exited is not "everything read": the last lines it wrote to stderr may still be in
                // the pipe; waiting for the exit through Process drains both streams first.
                return await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return null;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
                // The probe's own 2 s timeout: a process still starting on a busy machine; ask again.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"SendApi was not ready within {timeout}.\n{_process.Describe()}");
    }

    public HttpClient Client(string apiKey = SendApiApp.AdminKey) =>
        new() { BaseAddress = BaseAddress, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", apiKey) } };

    /// <summary>Ends the process the hard way: SIGKILL, no shutdown, nothing flushed.</summary>
    public void Kill() => _process.Kill();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
