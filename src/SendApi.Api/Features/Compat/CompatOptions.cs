using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Features.Compat;

/// <summary>
/// Settings under "Compat" (env <c>Compat__*</c>): where the hosted providers' sending APIs are
/// answered. Each provider has its own path prefix, so that its routes (Resend's <c>/emails</c>,
/// Postmark's <c>/email</c>) never meet ours or each other's; an application points its SDK's base
/// URL at <c>https://sendapi.example/compat/resend</c> and keeps its code.
/// </summary>
public sealed class CompatOptions
{
    public const string Section = "Compat";

    /// <summary>Resend's API (<c>POST /emails</c>, …) under this path. Default <c>/compat/resend</c>.</summary>
    public string ResendPrefix { get; set; } = "/compat/resend";

    /// <summary>Postmark's API (<c>POST /email</c>, …) under this path. Default <c>/compat/postmark</c>.</summary>
    public string PostmarkPrefix { get; set; } = "/compat/postmark";

    /// <summary>SendGrid's v3 API (<c>POST /v3/mail/send</c>) under this path. Default <c>/compat/sendgrid</c>.</summary>
    public string SendGridPrefix { get; set; } = "/compat/sendgrid";

    internal IEnumerable<(string Setting, string Prefix)> Prefixes =>
    [
        (nameof(ResendPrefix), ResendPrefix),
        (nameof(PostmarkPrefix), PostmarkPrefix),
        (nameof(SendGridPrefix), SendGridPrefix),
    ];
}

internal sealed partial class CompatOptionsValidation : IValidateOptions<CompatOptions>
{
    // The first segments of SendApi's own routes and pages: a prefix there would shadow them or be shadowed.
    private static readonly string[] OwnRoots =
    [
        "messages", "api-keys", "webhooks", "domains", "suppressions", "inbound", "captured", "stats",
        "templates", "health", "metrics", "swagger", "hangfire",

        // The tracking links recipients follow: /u/{token}, /o/{token}, /c/{token}.
        "u", "o", "c",
    ];

    public ValidateOptionsResult Validate(string? name, CompatOptions options)
    {
        var errors = new List<string>();
        foreach (var (setting, prefix) in options.Prefixes)
        {
            var env = $"Compat__{setting}";
            if (!IsPath(prefix))
            {
                errors.Add($"Compat:{setting} (env {env}) must be a path such as /compat/resend: '/' and segments of letters, digits, '-', '_' or '.', without a trailing '/'; not '{prefix}'.");
            }
            else if (OwnRoots.Contains(prefix.Split('/')[1], StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"Compat:{setting} (env {env}) '{prefix}' starts with /{prefix.Split('/')[1]}, where SendApi's own API answers; choose another (default /compat/…).");
            }
        }

        var valid = options.Prefixes.Where(p => IsPath(p.Prefix)).ToList();
        foreach (var a in valid)
        {
            foreach (var b in valid.Where(b => string.CompareOrdinal(a.Setting, b.Setting) < 0))
            {
                if (Contains(a.Prefix, b.Prefix) || Contains(b.Prefix, a.Prefix))
                {
                    errors.Add($"Compat:{a.Setting} ('{a.Prefix}') and Compat:{b.Setting} ('{b.Prefix}') overlap; each provider needs a path of its own.");
                }
            }
        }

        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }

    /// <summary>A path of named segments: "." and ".." would be resolved away by a client before the request reaches us.</summary>
    private static bool IsPath(string? prefix) =>
        prefix is not null && PathPrefix().IsMatch(prefix) && !prefix.Split('/').Any(segment => segment is "." or "..");

    private static bool Contains(string outer, string inner) =>
        string.Equals(outer, inner, StringComparison.OrdinalIgnoreCase) || inner.StartsWith(outer + "/", StringComparison.OrdinalIgnoreCase);

    // NonBacktracking: a setting, but the rule is the same everywhere.
    [GeneratedRegex(@"\A(/[A-Za-z0-9._-]+)+\z", RegexOptions.NonBacktracking)]
    private static partial Regex PathPrefix();
}
