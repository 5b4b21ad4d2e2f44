using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The real application on real Kestrel sockets (not the in-memory TestServer), configured like an
/// operator would with settings, optionally with a controllable clock. Each instance has its own
/// HTTP and SMTP ports on 127.0.0.1.
/// </summary>
public sealed class SendApiApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TimeProvider? _time;
    private readonly Action<IServiceCollection>? _services;

    /// <summary>The HTTP port: a free one, or the one of a <c>urls</c> setting (http://127.0.0.1:port) the test chose, e.g. to name it in Tracking:BaseUrl.</summary>
    public int HttpPort { get; }

    /// <summary>SMTP submission with STARTTLS (587 in production).</summary>
    public int SubmissionPort { get; } = FreePort.Tcp();

    /// <summary>SMTP submission with implicit TLS (465 in production).</summary>
    public int SubmissionTlsPort { get; } = FreePort.Tcp();

    /// <summary>Inbound SMTP: bounces and complaints to the return path (25 in production).</summary>
    public int InboundPort { get; } = FreePort.Tcp();

    /// <param name="services">Test-only service overrides, applied after the application's own registrations.</param>
    public SendApiApp(IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        HttpPort = settings.TryGetValue("urls", out var urls) && Uri.TryCreate(urls, UriKind.Absolute, out var chosen) ? chosen.Port : FreePort.Tcp();
        var all = new Dictionary<string, string?>
        {
            ["Admin:ApiKey"] = AdminKey,
            ["urls"] = $"http://127.0.0.1:{HttpPort}",
            ["Smtp:BindAddress"] = "127.0.0.1",
            // Never the machine's resolver (it is off loopback): a test that wants DNS starts a
            // dnsmasq and names it; any other lookup (a domain re-check, say) fails at once here.
            ["Dns:Servers"] = "127.0.0.1:1",
            ["Smtp:Submission:Port"] = SubmissionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:SubmissionTls:Port"] = SubmissionTlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:Inbound:Port"] = InboundPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        _settings = all;
        _time = time;
        _services = services;

        // Not UseKestrel(port): that makes Kestrel prefer its one URL and drop the SMTP listeners.
        // The application binds every endpoint itself from the settings above.
        UseKestrel(_ => { });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        if (_time is not null)
        {
            builder.ConfigureServices(services => services.AddSingleton(_time));
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    /// <summary>A client on the real socket, authenticated with <paramref name="apiKey"/> (none when null).</summary>
    public HttpClient Client(string? apiKey = AdminKey)
    {
        StartServer();
        var client = CreateDefaultClient(new Uri($"http://127.0.0.1:{HttpPort}"));
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }
}
