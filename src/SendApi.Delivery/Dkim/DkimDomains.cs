using MimeKit;
using SendApi.Core.Domains;

namespace SendApi.Delivery.Dkim;

/// <summary>Which domain a message is signed for: shared by the signer and the intake's check of that domain's standing.</summary>
public static class DkimDomains
{
    /// <summary>
    /// The From header's domain, normalized. DMARC aligns the signature's d= with the From header,
    /// not with the envelope sender, so that is the domain that must match. A From with mailboxes
    /// at several domains cannot align with one d= and is not signed: null.
    /// </summary>
    public static string? FromDomain(MimeMessage message)
    {
        var domains = message.From.Mailboxes
            .Select(m => DomainNames.TryNormalize(m.Domain, out var name) ? name : null)
            .Distinct()
            .ToList();
        return domains is [{ } single] ? single : null;
    }
}
