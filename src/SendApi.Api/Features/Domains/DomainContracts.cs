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
    /// The records that make this domain's mail pass: DKIM always (it carries DMARC alignment);
    /// SPF on the domain that MAIL FROM really uses. Without Delivery:ReturnPathDomain that is the
    /// sender's own domain, so the customer adds our include to its SPF. With it, MAIL FROM is
    /// the operator's return-path domain, whose SPF and MX (pointing bounces at SendApi's port 25)
    /// the operator publishes once for all senders; they are listed so the picture is complete.
    /// </summary>
    public static DnsRecord[] For(SenderDomain domain, DomainsOptions options)
    {
        var dkim = new DnsRecord("TXT", $"{domain.Dkim.Selector}._domainkey.{domain.Name}", $"v=DKIM1; k=rsa; p={domain.Dkim.PublicKey}");
        return options.ReturnPathDomain is { Length: > 0 } returnPath
            ?
            [
                dkim,
                new("TXT", returnPath, $"v=spf1 include:{options.SpfInclude} ~all"),
                new("MX", returnPath, $"10 {options.MailHost}"),
            ]
            :
            [
                dkim,
                new("TXT", domain.Name, $"v=spf1 include:{options.SpfInclude} ~all"),
            ];
    }

    public static DomainDetails Details(SenderDomain domain, DomainsOptions options) =>
        new(domain.Name, domain.CreatedAt, new DkimDetails(domain.Dkim.Selector, domain.Dkim.Algorithm), For(domain, options));
}
