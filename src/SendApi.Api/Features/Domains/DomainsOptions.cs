using SendApi.Core;

namespace SendApi.Api.Features.Domains;

/// <summary>
/// Settings under "Domains" (env <c>Domains__*</c>): what the DNS records given for a sender domain
/// point at, how often they are checked, and what happens to mail from a domain that fails.
/// </summary>
public sealed class DomainsOptions
{
    public const string Section = "Domains";

    /// <summary>
    /// The domain a sender domain's SPF record includes (<c>v=spf1 include:&lt;this&gt; ~all</c>);
    /// its own SPF record lists the addresses SendApi sends from. Default: <c>spf.&lt;Delivery__HeloName&gt;</c>.
    /// </summary>
    public string? SpfInclude { get; set; }

    /// <summary>How often every domain's DNS records are checked again (a Hangfire recurring job), 1m to 7d. Default 1h.</summary>
    public string VerifyInterval { get; set; } = "1h";

    /// <summary>
    /// Refuse mail whose From domain is not a verified sender domain of the account (HTTP 403,
    /// SMTP 550 5.7.1) instead of sending it with a warning event. Default false.
    /// </summary>
    public bool RequireVerified { get; set; }

    /// <summary>Delivery:HeloName, the host that the return path's MX record points at.</summary>
    internal string MailHost { get; set; } = "";

    /// <summary>Delivery:ReturnPathDomain when it is set.</summary>
    internal string? ReturnPathDomain { get; set; }

    internal static readonly TimeSpan MinVerifyInterval = TimeSpan.FromMinutes(1);
    internal static readonly TimeSpan MaxVerifyInterval = TimeSpan.FromDays(7);

    internal TimeSpan VerifyIntervalValue => Durations.Parse(VerifyInterval, "Domains:VerifyInterval");

    internal static bool IsValidVerifyInterval(string? text) =>
        Durations.TryParse(text, out var value) && value >= MinVerifyInterval && value <= MaxVerifyInterval;

    /// <summary>
    /// A DNS name, underscores allowed: SPF include domains are often not host names
    /// (<c>_spf.example.com</c>), so <see cref="Core.Domains.DomainNames"/> is too strict here.
    /// </summary>
    internal static bool IsDnsName(string? name) =>
        name is { Length: > 0 and <= 253 }
        && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
}
