namespace SendApi.Api.Features.Domains;

/// <summary>Settings under "Domains" (env <c>Domains__*</c>): what the DNS records given for a sender domain point at.</summary>
public sealed class DomainsOptions
{
    public const string Section = "Domains";

    /// <summary>
    /// The domain a sender domain's SPF record includes (<c>v=spf1 include:&lt;this&gt; ~all</c>);
    /// its own SPF record lists the addresses SendApi sends from. Default: <c>spf.&lt;Delivery__HeloName&gt;</c>.
    /// </summary>
    public string? SpfInclude { get; set; }

    /// <summary>Delivery:HeloName, the host that the return path's MX record points at.</summary>
    internal string MailHost { get; set; } = "";

    /// <summary>Delivery:ReturnPathDomain when it is set.</summary>
    internal string? ReturnPathDomain { get; set; }

    /// <summary>
    /// A DNS name, underscores allowed: SPF include domains are often not host names
    /// (<c>_spf.example.com</c>), so <see cref="Core.Domains.DomainNames"/> is too strict here.
    /// </summary>
    internal static bool IsDnsName(string? name) =>
        name is { Length: > 0 and <= 253 }
        && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
}
