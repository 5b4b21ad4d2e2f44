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
    /// <summary>The HTTP(S) endpoints the settings ask for, in order.</summary>
    public static IEnumerable<PlannedListener> HttpListeners(IConfiguration configuration)
    {
        var urls = configuration["urls"];
        var setting = "ASPNETCORE_URLS (or --urls)";
        if (string.IsNullOrWhiteSpace(urls) && configuration["http_ports"] is { Length: > 0 } ports)
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
