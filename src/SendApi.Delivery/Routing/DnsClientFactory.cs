using DnsClient;
using Microsoft.Extensions.Options;

namespace SendApi.Delivery.Routing;

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
        lookup.Retries = 2;
        lookup.UseTcpFallback = true;
        // An NXDOMAIN or an empty answer is an answer: asking the next resolver would only hide it.
        lookup.ContinueOnDnsError = false;
        lookup.ContinueOnEmptyResponse = false;
        lookup.ThrowDnsErrors = false;
        return new LookupClient(lookup);
    }
}
