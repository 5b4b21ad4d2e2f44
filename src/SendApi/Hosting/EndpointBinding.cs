using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SendApi.Hosting;

/// <summary>
/// Reads the HTTP endpoints from the usual settings (<c>--urls</c> / <c>ASPNETCORE_URLS</c>, then
/// <c>ASPNETCORE_HTTP_PORTS</c>, then http://localhost:5000) and binds listeners in Kestrel. Kestrel
/// would read those settings itself, but it ignores them as soon as any endpoint is bound in code,
/// and the SMTP listeners are.
/// </summary>
internal static class EndpointBinding
{
    /// <summary>
    /// Takes the HTTP settings out of the web host's hands: <see cref="HttpListeners"/> binds them in
    /// code. Left in the settings, the web host would also hand them to Kestrel, which then warns at
    /// every start that it is "overriding" them with the endpoints bound in code.
    /// </summary>
    public static HostingUrls TakeHostingUrls(IWebHostBuilder webHost, IConfiguration configuration)
    {
        var taken = new HostingUrls(configuration["urls"], configuration["http_ports"]);

        // Not empty: the web host then falls back to the value it read when the builder was made.
        // A lone separator is a list of no addresses.
        webHost.UseSetting("urls", NoAddresses);
        return taken;
    }

    /// <summary>
    /// The HTTP settings to bind: those taken at start, unless a configuration source added later
    /// (a test host's, for one) set <c>urls</c> again.
    /// </summary>
    public static HostingUrls Effective(IConfiguration configuration, HostingUrls taken) =>
        configuration["urls"] is { } urls && urls != NoAddresses ? new HostingUrls(urls, configuration["http_ports"]) : taken;

    private const string NoAddresses = ";";

    /// <summary>The HTTP(S) endpoints the settings ask for, in order.</summary>
    public static IEnumerable<PlannedListener> HttpListeners(HostingUrls hosting)
    {
        var urls = hosting.Urls;
        var setting = "ASPNETCORE_URLS (or --urls)";
        if (string.IsNullOrWhiteSpace(urls) && hosting.HttpPorts is { Length: > 0 } ports)
        {
            urls = string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"));
            setting = "ASPNETCORE_HTTP_PORTS";
        }

        foreach (var url in (string.IsNullOrWhiteSpace(urls) ? "http://localhost:5000" : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParse(url, out var scheme, out var host, out var port))
            {
                throw new InvalidOperationException($"urls (env ASPNETCORE_URLS): '{url}' is not an address such as http://0.0.0.0:8080 or http://localhost:5000.");
            }

            yield return new PlannedListener(scheme == "https" ? ListenerRole.Https : ListenerRole.Http, host, port, setting);
        }
    }

    public static bool IsAnyAddress(string host) => host is "*" or "+" or "" or "0.0.0.0" or "[::]" or "::";

    /// <summary>"*", "+", "" and "0.0.0.0" mean every address (IPv4 and IPv6); "localhost" means loopback.</summary>
    public static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (IsAnyAddress(host))
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, port, configure);
        }
        else
        {
            // A host name: like Kestrel, bind every address.
            kestrel.ListenAnyIP(port, configure);
        }
    }

    private static bool TryParse(string url, out string scheme, out string host, out int port)
    {
        scheme = host = "";
        port = 0;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }

        scheme = url[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return false;
        }

        var rest = url[(schemeEnd + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || rest.EndsWith(']'))
        {
            // No port: the scheme's default.
            host = rest;
            port = scheme == "https" ? 443 : 80;
            return rest.Length > 0;
        }

        host = rest[..colon];
        return int.TryParse(rest[(colon + 1)..], out port) && port is >= 0 and <= 65535;
    }
}

/// <summary>The web host's HTTP settings as they were at start: <c>urls</c> and <c>http_ports</c>.</summary>
internal sealed record HostingUrls(string? Urls, string? HttpPorts);
