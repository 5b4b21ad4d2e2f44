using System.Text.Json.Serialization;
using FluentValidation;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains;

/// <param name="Name">The domain mail is sent from, e.g. "example.com". Stored in lower case; internationalized names in their punycode form.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateDomainRequest(string? Name);

/// <summary>A sender domain, its DKIM selector and the DNS records to publish. Its private key never leaves SendApi.</summary>
public sealed record DomainDetails(string Name, DateTimeOffset CreatedAt, DkimDetails Dkim, IReadOnlyList<DnsRecord> DnsRecords);

/// <param name="Algorithm">The DKIM signature algorithm: "rsa-sha256" (a 2048-bit key).</param>
public sealed record DkimDetails(string Selector, string Algorithm);

/// <summary>A DNS record to publish for the domain.</summary>
/// <param name="Type">"TXT" or "MX".</param>
/// <param name="Value">
/// The record's data. A TXT value is given as one string even when it is longer than 255 octets (a
/// 2048-bit DKIM key is about 400): DNS software splits it into 255-octet character-strings when
/// it builds the record, and verifiers join them again, so publish it whole.
/// </param>
public sealed record DnsRecord(string Type, string Name, string Value);

internal sealed class CreateDomainValidator : AbstractValidator<CreateDomainRequest>
{
    public CreateDomainValidator()
    {
        RuleFor(x => x.Name).Cascade(CascadeMode.Stop)
            .NotEmpty()
            .MaximumLength(1000)
            .Must(n => DomainNames.TryNormalize(n, out _))
            .WithMessage("must be a domain name with at least two labels, such as example.com (letters, digits and hyphens; internationalized names are accepted).");
    }
}

internal static class DomainDnsRecords
{
    /// <summary>
    /// DKIM, SPF and the return path's MX. The return path is Delivery:ReturnPathDomain when the
    /// operator set one (one domain for all senders, so its MX is the same for everyone). Without it,
    /// the record names bounces.&lt;domain&gt;: a subdomain the customer can point at SendApi without
    /// touching the MX of the domain itself, which keeps receiving the customer's own mail.
    /// </summary>
    public static DnsRecord[] For(SenderDomain domain, DomainsOptions options) =>
    [
        new("TXT", $"{domain.Dkim.Selector}._domainkey.{domain.Name}", $"v=DKIM1; k=rsa; p={domain.Dkim.PublicKey}"),
        new("TXT", domain.Name, $"v=spf1 include:{options.SpfInclude} ~all"),
        new("MX", options.ReturnPathDomain ?? $"bounces.{domain.Name}", $"10 {options.MailHost}"),
    ];

    public static DomainDetails Details(SenderDomain domain, DomainsOptions options) =>
        new(domain.Name, domain.CreatedAt, new DkimDetails(domain.Dkim.Selector, domain.Dkim.Algorithm), For(domain, options));
}
