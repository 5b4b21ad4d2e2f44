namespace SendApi.Core.Domains;

/// <summary>
/// The outcome of checking a sender domain's DNS records: one <see cref="RecordCheck"/> per record
/// SendApi asks its users to publish, as DNS answered at <paramref name="CheckedAt"/>.
/// </summary>
/// <param name="Selector">The DKIM selector of the key that was checked: a check made for a key that was
/// since replaced (the domain deleted and registered again) does not apply to the new one.</param>
public sealed record DomainVerification(string Selector, DateTimeOffset CheckedAt, IReadOnlyList<RecordCheck> Records)
{
    /// <summary>
    /// Every record verified, or failing only for a DNS error after it had been verified: a resolver
    /// that fails for a moment (SERVFAIL, a timeout) says nothing about what is published.
    /// </summary>
    public bool IsVerified => Records.Count > 0 && Records.All(r => r.Holds);

    /// <summary>The records that keep the domain from being verified.</summary>
    public IEnumerable<RecordCheck> Failing => Records.Where(r => !r.Holds);
}

/// <summary>One DNS record checked.</summary>
/// <param name="Purpose">What it is for: <see cref="RecordPurposes"/>.</param>
/// <param name="Type">"TXT" or "MX".</param>
/// <param name="Name">The DNS name asked.</param>
/// <param name="Status">One of <see cref="RecordStatuses"/>.</param>
/// <param name="Found">What DNS returned there that is relevant (the TXT strings joined, the MX hosts); empty when nothing.</param>
/// <param name="Detail">Why it is not verified, in words; null when verified.</param>
/// <param name="VerifiedAt">The last check that found it right: kept through DNS errors, dropped on an answer that is wrong.</param>
public sealed record RecordCheck(
    string Purpose,
    string Type,
    string Name,
    string Status,
    IReadOnlyList<string> Found,
    string? Detail,
    DateTimeOffset? VerifiedAt)
{
    public bool Holds => Status == RecordStatuses.Verified || (Status == RecordStatuses.Error && VerifiedAt is not null);
}

public static class RecordStatuses
{
    /// <summary>Published as expected.</summary>
    public const string Verified = "verified";

    /// <summary>No such record (NXDOMAIN, or no record of its kind at the name).</summary>
    public const string Missing = "missing";

    /// <summary>A record of its kind is there, with the wrong content (another key, an SPF record without our include, …).</summary>
    public const string Mismatch = "mismatch";

    /// <summary>DNS did not answer (SERVFAIL, REFUSED, a timeout): nothing is known, nothing is concluded.</summary>
    public const string Error = "error";

    /// <summary>Not checked yet.</summary>
    public const string Pending = "pending";
}

public static class RecordPurposes
{
    public const string Dkim = "dkim";
    public const string Spf = "spf";
    public const string ReturnPathMx = "return_path_mx";
    public const string Dmarc = "dmarc";
}
