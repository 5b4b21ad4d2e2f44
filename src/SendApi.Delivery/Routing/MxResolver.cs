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

    private static bool IsRoot(DnsString name) => name.Value is "." or "";

    private static MxResolution.Failure Temporary(string text) => new(new SmtpReply(451, "4.4.3", text));
}
