using System.Text.RegularExpressions;
using SendApi.Core;
using SendApi.Core.Messages;

namespace SendApi.Delivery.Throttling;

/// <summary>
/// A reply that means "you are sending too fast" and what to do about it, e.g. lower the domain's
/// rate and connections to half for ten minutes. Configured as Delivery__BackoffRules__0__Name,
/// __Pattern (a regex matched against "code enhanced-code text"), __Factor and __Duration.
/// </summary>
public sealed class BackoffRule
{
    public string Name { get; set; } = "";

    public string Pattern { get; set; } = "";

    /// <summary>Multiplier (0..1) applied to the domain's messages per second and connections.</summary>
    public double Factor { get; set; } = 0.5;

    public string Duration { get; set; } = "10m";
}

internal sealed class BackoffRules
{
    /// <summary>The big receivers' "slow down" replies, and the generic 421 "too many".</summary>
    public static readonly IReadOnlyList<BackoffRule> Defaults =
    [
        new() { Name = "gmail-rate", Pattern = @"^4\d\d 4\.7\.28\b" },
        new() { Name = "microsoft-rp", Pattern = @"\bRP-00[1-3]\b" },
        new() { Name = "yahoo-ts", Pattern = @"\bTSS?0\d\b" },
        new() { Name = "too-many", Pattern = @"^421\b.*\btoo many\b" },
    ];

    private readonly List<(BackoffRule Rule, Regex Regex, TimeSpan Duration)> _rules;

    public BackoffRules(IReadOnlyList<BackoffRule> configured)
    {
        _rules = [.. (configured.Count > 0 ? configured : Defaults).Select(r => (r,
            new Regex(r.Pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)),
            Durations.Parse(r.Duration, $"Delivery:BackoffRules:{r.Name}:Duration")))];
    }

    /// <summary>The first rule the reply matches, if any. Only temporary failures ever slow a domain down.</summary>
    public (BackoffRule Rule, TimeSpan Duration)? Match(SmtpReply reply)
    {
        if (!reply.IsTransient)
        {
            return null;
        }

        var text = reply.ToString();
        foreach (var (rule, regex, duration) in _rules)
        {
            if (regex.IsMatch(text))
            {
                return (rule, duration);
            }
        }

        return null;
    }
}
