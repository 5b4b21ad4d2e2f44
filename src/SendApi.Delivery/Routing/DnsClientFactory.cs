using DnsClient;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Routing;

/// <summary>The DNS client of delivery, built once from the Dns settings: every DnsClient setting lives here.</summary>
internal static class DnsClientFactory
{
    public static ILookupClient Create(IOptions<DnsOptions> options)
    {
        DnsOptions.TryParseServers(options.Value.Servers, out var servers);
        var lookup = servers.Count > 0
            ? new LookupClientOptions([.. servers])
            : new LookupClientOptions();
        lookup.UseCache = true;
        lookup.Timeout = options.Value.TimeoutValue;
        // A lost UDP packet is asked again, up to twice: a timeout costs up to three Dns:Timeout per server.
        lookup.Retries = 2;
        lookup.UseTcpFallback = true;
        // An NXDOMAIN or an empty answer is an answer: asking the next resolver would only hide it.
        lookup.ContinueOnDnsError = false;
        lookup.ContinueOnEmptyResponse = false;
        lookup.ThrowDnsErrors = false;
        return new LookupClient(lookup);
    }

    /// <summary>
    /// The client's own settings, but a single try per server: for a question whose failure is not
    /// the end (one address family while the other may answer), so that a server that never
    /// answers it costs one Dns:Timeout rather than three.
    /// </summary>
    public static DnsQueryAndServerOptions SingleTry(ILookupClient client)
    {
        var settings = client.Settings;
        return new DnsQueryAndServerOptions([.. settings.NameServers])
        {
            Retries = 0,
            Timeout = settings.Timeout,
            UseCache = settings.UseCache,
            UseTcpFallback = settings.UseTcpFallback,
            ContinueOnDnsError = settings.ContinueOnDnsError,
            ContinueOnEmptyResponse = settings.ContinueOnEmptyResponse,
            ThrowDnsErrors = settings.ThrowDnsErrors,
            ExtendedDnsBufferSize = settings.ExtendedDnsBufferSize,
            UseRandomNameServer = settings.UseRandomNameServer,
            Recursion = settings.Recursion,
        };
    }
}
