using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Routing;

/// <summary>The hosts to try for a domain, in order, or the reason there are none.</summary>
internal abstract record MxResolution
{
    internal sealed record Hosts(IReadOnlyList<MxHost> List) : MxResolution;

    /// <summary>No host to try: permanent (5xx) or temporary (4xx) like a server's reply.</summary>
    internal sealed record Failure(SmtpReply Reply) : MxResolution;
}

/// <param name="Implicit">True when the domain has no MX and its own address is used (RFC 5321 §5.1).</param>
internal sealed record MxHost(string Name, int Preference, bool Implicit = false);

/// <summary>
/// RFC 5321 §5.1 mail routing over DnsClient: MX in preference order (equal preferences shuffled),
/// the domain's own A/AAAA when it has no MX, and RFC 7505 null MX as "does not accept mail".
/// DnsClient's cache keeps each answer for its TTL.
/// </summary>
internal sealed class MxResolver(ILookupClient dns)
{
    public async Task<MxResolution> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await dns.QueryAsync(domain, QueryType.MX, QueryClass.IN, cancellationToken);
        }
        catch (DnsResponseException ex)
        {
            return Temporary($"MX lookup for {domain} failed: {ex.Message}");
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return new MxResolution.Failure(new SmtpReply(550, "5.1.2", $"Domain {domain} does not exist (NXDOMAIN)"));
        }

        if (response.HasError)
        {
            return Temporary($"MX lookup for {domain} failed: {response.ErrorMessage}");
        }

        var records = response.Answers.MxRecords().ToList();
        var real = records.Where(r => !IsRoot(r.Exchange)).ToList();
        if (records.Count > 0 && real.Count == 0)
        {
            return new MxResolution.Failure(new SmtpReply(556, "5.1.10", $"Domain {domain} does not accept mail (null MX, RFC 7505)"));
        }

        if (real.Count == 0)
        {
            // No MX at all: the domain itself is the implicit MX, provided it has an address.
            return new MxResolution.Hosts([new MxHost(domain, 0, Implicit: true)]);
        }

        var ordered = real
            .GroupBy(r => r.Preference)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))
            .Select(r => new MxHost(r.Exchange.Value.TrimEnd('.'), r.Preference))
            .ToList();
        return new MxResolution.Hosts(ordered);
    }

    /// <summary>
    /// A host's addresses, IPv4 first; empty when the host has none (NXDOMAIN or NODATA). A DNS
    /// failure (SERVFAIL, timeout) throws <see cref="DnsLookupException"/>: it says nothing about
    /// the host and must not be taken for "no address".
    /// </summary>
    public async Task<IReadOnlyList<IPAddress>> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        var v4 = dns.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
        var v6 = dns.QueryAsync(host, QueryType.AAAA, QueryClass.IN, cancellationToken);
        try
        {
            await Task.WhenAll(v4, v6);
        }
        catch (DnsResponseException ex)
        {
            throw new DnsLookupException($"Address lookup for {host} failed: {ex.Message}", ex);
        }

        foreach (var response in (IDnsQueryResponse[])[v4.Result, v6.Result])
        {
            if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
            {
                throw new DnsLookupException($"Address lookup for {host} failed: {response.ErrorMessage}");
            }
        }

        var a = v4.Result.Answers.ARecords().Select(r => r.Address);
        var aaaa = v6.Result.Answers.AaaaRecords().Select(r => r.Address);
        return [.. a.Where(ip => ip.AddressFamily == AddressFamily.InterNetwork), .. aaaa];
    }

    private static bool IsRoot(DnsString name) => name.Value is "." or "";

    private static MxResolution.Failure Temporary(string text) => new(new SmtpReply(451, "4.4.3", text));
}

/// <summary>DNS did not answer (as opposed to answering "no such record"): a temporary condition.</summary>
internal sealed class DnsLookupException(string message, Exception? inner = null) : Exception(message, inner);
