using System.Text.Json.Serialization;
using FluentValidation;
using SendApi.Api.Features.Domains.Verification;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains;

/// <param name="Name">The domain mail is sent from, e.g. "example.com". Stored in lower case; internationalized names in their punycode form.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateDomainRequest(string? Name);

/// <summary>A sender domain, its DKIM selector, the DNS records to publish and how they stood when last checked. Its private key never leaves SendApi.</summary>
/// <param name="Status">"verified" (every record as expected), "unverified" (some record is not), or "pending" (never checked: POST /domains/{name}/verify).</param>
/// <param name="CheckedAt">When DNS was last asked (POST /domains/{name}/verify, or the re-check every Domains:VerifyInterval); null before the first check.</param>
public sealed record DomainDetails(
    string Name,
    DateTimeOffset CreatedAt,
    DkimDetails Dkim,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? CheckedAt,
    IReadOnlyList<DnsRecord> DnsRecords);

/// <param name="Algorithm">The DKIM signature algorithm: "rsa-sha256" (a 2048-bit key).</param>
public sealed record DkimDetails(string Selector, string Algorithm);

/// <summary>A DNS record to publish for the domain, and what the last check found.</summary>
/// <param name="Purpose">"dkim", "spf", "return_path_mx" or "dmarc".</param>
/// <param name="Type">"TXT" or "MX".</param>
/// <param name="Value">
/// The record's data. A TXT value is given as one string even when it is longer than 255 octets (a
/// 2048-bit DKIM key is about 400): DNS software splits it into 255-octet character-strings when
/// it builds the record, and verifiers join them again, so publish it whole. For SPF, an existing
/// record needs only the include term added; for DMARC, any DMARC record passes (p=none is a start).
/// </param>
/// <param name="Status">"verified", "missing", "mismatch" (a record is there with other content), "error" (DNS did not answer: SERVFAIL, timeout; nothing concluded), or "pending" (not checked yet).</param>
/// <param name="Found">What the last check found at the name (TXT strings joined, MX hosts); absent before the first check.</param>
/// <param name="Detail">Why it is not verified, in words.</param>
/// <param name="VerifiedAt">The last check that found it right; kept through DNS errors, so an "error" record verified before still counts.</param>
public sealed record DnsRecord(
    string Purpose,
    string Type,
    string Name,
    string Value,
    string Status,
    IReadOnlyList<string>? Found = null,
    string? Detail = null,
    DateTimeOffset? VerifiedAt = null);

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
    public const string Verified = "verified";
    public const string Unverified = "unverified";
    public const string Pending = "pending";

    /// <param name="verification">The domain's last check; ignored when it was made for another key of that name.</param>
    public static DomainDetails Details(SenderDomain domain, DomainsOptions options, DomainVerification? verification)
    {
        var current = verification?.Selector == domain.Dkim.Selector ? verification : null;
        var records = ExpectedRecords.For(domain, options).Select(expected =>
            current?.Records.FirstOrDefault(r => r.Purpose == expected.Purpose && r.Name == expected.Name) is { } check
                ? new DnsRecord(expected.Purpose, expected.Type, expected.Name, expected.Value, check.Status, check.Found, check.Detail, check.VerifiedAt)
                : new DnsRecord(expected.Purpose, expected.Type, expected.Name, expected.Value, RecordStatuses.Pending)).ToList();

        // A record added to the expected list since the last check (a DMARC record after an upgrade,
        // Delivery:ReturnPathDomain set since) is pending, so the domain is not verified until checked again.
        var status = current is null ? Pending
            : current.IsVerified && records.All(r => r.Status != RecordStatuses.Pending) ? Verified
            : Unverified;
        return new(domain.Name, domain.CreatedAt, new DkimDetails(domain.Dkim.Selector, domain.Dkim.Algorithm), status, current?.CheckedAt, records);
    }
}
