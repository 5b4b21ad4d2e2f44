using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains.Verification;

/// <summary>A record SendApi asks the domain's owner (or the operator) to publish, and checks.</summary>
/// <param name="Purpose">One of <see cref="RecordPurposes"/>.</param>
/// <param name="Value">What to publish. For SPF the record as a whole is a suggestion: only <see cref="Required"/> must be in it.</param>
/// <param name="Required">What a published record must contain to pass: the DKIM public key, the SPF include term, the MX host; null for DMARC, where any DMARC record passes.</param>
internal sealed record ExpectedRecord(string Purpose, string Type, string Name, string Value, string? Required);

internal static class ExpectedRecords
{
    /// <summary>
    /// The records that make this domain's mail pass: DKIM always (it carries DMARC alignment);
    /// SPF on the domain that MAIL FROM really uses. Without Delivery:ReturnPathDomain that is the
    /// sender's own domain, so the customer adds our include to its SPF. With it, MAIL FROM is
    /// the operator's return-path domain, whose SPF and MX (pointing bounces at SendApi's port 25)
    /// the operator publishes once for all senders; they are listed so the picture is complete.
    /// DMARC last: large mailbox providers expect one from bulk senders, and any policy will do
    /// to start with (<c>p=none</c> only asks for reports).
    /// </summary>
    public static ExpectedRecord[] For(SenderDomain domain, DomainsOptions options)
    {
        var dkim = new ExpectedRecord(
            RecordPurposes.Dkim, "TXT", $"{domain.Dkim.Selector}._domainkey.{domain.Name}", $"v=DKIM1; k=rsa; p={domain.Dkim.PublicKey}", domain.Dkim.PublicKey);
        var include = $"include:{options.SpfInclude}";
        var dmarc = new ExpectedRecord(RecordPurposes.Dmarc, "TXT", $"_dmarc.{domain.Name}", "v=DMARC1; p=none", Required: null);
        return options.ReturnPathDomain is { Length: > 0 } returnPath
            ?
            [
                dkim,
                new(RecordPurposes.Spf, "TXT", returnPath, $"v=spf1 {include} ~all", include),
                new(RecordPurposes.ReturnPathMx, "MX", returnPath, $"10 {options.MailHost}", options.MailHost),
                dmarc,
            ]
            :
            [
                dkim,
                new(RecordPurposes.Spf, "TXT", domain.Name, $"v=spf1 {include} ~all", include),
                dmarc,
            ];
    }
}
