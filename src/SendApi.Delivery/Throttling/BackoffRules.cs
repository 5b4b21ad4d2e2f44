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

    /// <summary>What a rule's pattern reads of a reply: the words that say "slow down" come first.</summary>
    private const int MaxMatchedChars = 1024;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    private readonly List<(BackoffRule Rule, Regex Regex, TimeSpan Duration)> _rules;

    public BackoffRules(IReadOnlyList<BackoffRule> configured)
    {
        _rules = [.. (configured.Count > 0 ? configured : Defaults).Select(r => (r,
            Compile(r.Pattern),
            Durations.Parse(r.Duration, $"Delivery:BackoffRules:{r.Name}:Duration")))];
    }

    /// <summary>
    /// An operator's pattern, matched against replies a remote server chose: in linear time when
    /// the pattern allows it; a pattern that needs backtracking (lookarounds, backreferences) reads
    /// at most <see cref="MaxMatchedChars"/> and gives up after <see cref="MatchTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The pattern is not a regular expression.</exception>
    public static Regex Compile(string pattern)
    {
        const RegexOptions options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, options, MatchTimeout);
        }
    }

    /// <summary>The first rule the reply matches, if any. Only temporary failures ever slow a domain down.</summary>
    public (BackoffRule Rule, TimeSpan Duration)? Match(SmtpReply reply)
    {
        if (!reply.IsTransient)
        {
            return null;
        }

        var text = reply.ToString();
        if (text.Length > MaxMatchedChars)
        {
            text = text[..MaxMatchedChars];
        }

        foreach (var (rule, regex, duration) in _rules)
        {
            try
            {
                if (regex.IsMatch(text))
                {
                    return (rule, duration);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pattern too costly for this reply does not match it; the reply still counts.
            }
        }

        return null;
    }
}
