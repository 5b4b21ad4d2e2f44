using System.Globalization;

namespace SendApi.Hosting;

/// <summary>
/// <c>dotnet SendApi.dll --healthcheck [live|ready]</c>: asks the running instance's own health
/// endpoint and exits 0 when it answers 200, else 1 — a container health check without curl (the
/// aspnet image has none). The address comes from the same settings the server binds
/// (<c>ASPNETCORE_URLS</c> / <c>--urls</c>, else <c>ASPNETCORE_HTTP_PORTS</c>), so the probe and the
/// server can't disagree; "every address" is asked on loopback.
/// </summary>
internal static class HealthProbe
{
    public const string Switch = "--healthcheck";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Switch;

    public static async Task<int> RunAsync(string[] args)
    {
        var which = args.Length > 1 ? args[1] : "ready";
        if (which is not ("ready" or "live"))
        {
            await Console.Error.WriteLineAsync($"{Switch} {which}: say 'ready' (the instance and its storage answer; the default) or 'live' (the process answers).");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args.Skip(2).ToArray())
            .Build();
        var http = EndpointBinding.HttpListeners(new HostingUrls(configuration["urls"], configuration["http_ports"]))
            .FirstOrDefault(l => l.Role == ListenerRole.Http);
        if (http is null)
        {
            await Console.Error.WriteLineAsync("unhealthy: no plain-HTTP address in ASPNETCORE_URLS to ask.");
            return 1;
        }

        var host = EndpointBinding.IsAnyAddress(http.Host) || string.Equals(http.Host, "localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : http.Host;
        var url = new Uri($"http://{host}:{http.Port.ToString(CultureInfo.InvariantCulture)}/health/{which}");
        using var client = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                await Console.Out.WriteLineAsync($"healthy: {url} answered {(int)response.StatusCode}");
                return 0;
            }

            await Console.Error.WriteLineAsync($"unhealthy: {url} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"unhealthy: {url}: {ex.Message}");
            return 1;
        }
    }
}
