using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The real application on real Kestrel sockets (not the in-memory TestServer), configured like an
/// operator would with settings, optionally with a controllable clock.
/// </summary>
public sealed class SendApiApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TimeProvider? _time;

    public SendApiApp(IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null)
    {
        var all = new Dictionary<string, string?> { ["Admin:ApiKey"] = AdminKey };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        _settings = all;
        _time = time;
        UseKestrel(0);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        if (_time is not null)
        {
            builder.ConfigureServices(services => services.AddSingleton(_time));
        }
    }

    /// <summary>A client on the real socket, authenticated with <paramref name="apiKey"/> (none when null).</summary>
    public HttpClient Client(string? apiKey = AdminKey)
    {
        StartServer();
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }
}
