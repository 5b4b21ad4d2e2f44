using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Core;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Settings under "Inbound" (env <c>Inbound__*</c>): the domains whose mail port 25 takes and
/// stores, and for whom.
/// </summary>
public sealed class InboundOptions
{
    public const string Section = "Inbound";

    /// <summary>
    /// Domains to receive mail for, every local part (env <c>Inbound__Domains__0=reply.acme.com</c>).
    /// An entry <c>domain=account</c> gives the mail to that account; a bare domain to
    /// <see cref="Account"/>. Publish an MX record pointing at this host for each.
    /// </summary>
    public List<string> Domains { get; set; } = [];

    /// <summary>The account that owns mail to a domain listed without one; the admin account by default.</summary>
    public string Account { get; set; } = AdminKeyBootstrap.AccountId;

    /// <summary>How long received mail (parsed and raw) stays readable: "30d", "72h", …</summary>
    public string Retention { get; set; } = "30d";

    internal TimeSpan RetentionValue => Durations.Parse(Retention, "Inbound:Retention");

    /// <summary>Normalized domain → owning account, from <see cref="Domains"/>.</summary>
    internal IReadOnlyDictionary<string, string> Owners { get; private set; } = new Dictionary<string, string>();

    internal void Resolve()
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Domains)
        {
            var (domain, account) = Split(entry);
            if (DomainNames.TryNormalize(domain, out var name))
            {
                owners[name] = account ?? Account;
            }
        }

        Owners = owners;
    }

    internal static (string Domain, string? Account) Split(string entry)
    {
        var equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (entry.Trim(), null) : (entry[..equals].Trim(), entry[(equals + 1)..].Trim());
    }
}

internal sealed class InboundOptionsValidation : IValidateOptions<InboundOptions>
{
    public ValidateOptionsResult Validate(string? name, InboundOptions options)
    {
        var errors = new List<string>();
        foreach (var entry in options.Domains)
        {
            var (domain, account) = InboundOptions.Split(entry);
            if (!DomainNames.TryNormalize(domain, out _))
            {
                errors.Add($"Inbound:Domains (env Inbound__Domains__N): '{entry}' is not a domain name; write 'reply.example.com' or 'reply.example.com=account-id'.");
            }

            if (account is { Length: 0 })
            {
                errors.Add($"Inbound:Domains (env Inbound__Domains__N): '{entry}' names no account after '='.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Account))
        {
            errors.Add("Inbound:Account (env Inbound__Account) must name an account.");
        }

        if (!Durations.TryParse(options.Retention, out var retention) || retention < TimeSpan.FromMinutes(1) || retention > TimeSpan.FromDays(365))
        {
            errors.Add($"Inbound:Retention (env Inbound__Retention) must be a duration between 1m and 365d, e.g. 30d, not '{options.Retention}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
