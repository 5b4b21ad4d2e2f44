using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SendApi.UnitTests.Build;

/// <summary>
/// Operators filter and alert on log event ids, so an id names one event in the whole solution.
/// Each project logs within its reserved range, written down once in docs/logging.md; this reads
/// that table and every <see cref="LoggerMessageAttribute"/> in the src assemblies.
/// </summary>
public sealed partial class LogEventIdTests
{
    [Fact]
    public void No_two_log_events_in_the_solution_share_an_event_id()
    {
        var events = LogEvents();

        // The reflection itself must see them: there are 68 today.
        Assert.True(events.Count > 40, $"Only {events.Count} log events found; the reflection no longer sees them.");
        var shared = events.GroupBy(e => e.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Name))}")
            .ToList();
        Assert.True(shared.Count == 0, $"Event ids used more than once:\n{string.Join("\n", shared)}");
    }

    [Fact]
    public void Every_log_event_id_lies_in_its_projects_reserved_range()
    {
        var ranges = ReservedRanges();

        var outside = LogEvents()
            .Where(e => !ranges.TryGetValue(e.Assembly, out var range) || e.Id < range.First || e.Id > range.Last)
            .Select(e => ranges.TryGetValue(e.Assembly, out var range)
                ? $"{e.Name}: {e.Id} is outside {e.Assembly}'s {range.First}-{range.Last}"
                : $"{e.Name}: {e.Assembly} has no range in docs/logging.md")
            .ToList();
        Assert.True(outside.Count == 0, $"Log events outside their project's range:\n{string.Join("\n", outside)}");
    }

    [Fact]
    public void The_reserved_ranges_are_for_src_projects_and_do_not_overlap()
    {
        var ranges = ReservedRanges().OrderBy(r => r.Value.First).ToList();
        var projects = Solution.SrcAssemblies().Select(a => a.GetName().Name!).ToHashSet(StringComparer.Ordinal);

        Assert.True(ranges.Count >= 7, $"Only {ranges.Count} ranges read from docs/logging.md");
        Assert.All(ranges, r => Assert.Contains(r.Key, projects));
        Assert.All(ranges, r => Assert.True(r.Value.First > 0 && r.Value.First <= r.Value.Last, $"{r.Key}: {r.Value}"));
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i - 1].Value.Last < ranges[i].Value.First, $"{ranges[i - 1].Key} and {ranges[i].Key} overlap");
        }
    }

    private sealed record LogEvent(string Assembly, string Name, int Id);

    private static List<LogEvent> LogEvents()
    {
        const BindingFlags all = BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var events = new List<LogEvent>();
        foreach (var assembly in Solution.SrcAssemblies())
        {
            foreach (var type in Solution.TypesOf(assembly))
            {
                foreach (var method in type.GetMethods(all))
                {
                    if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } message)
                    {
                        var name = $"{type.FullName}.{method.Name}";

                        // Without an explicit id the generator uses -1 (or a hash of the name): not one an operator can rely on.
                        Assert.True(message.EventId > 0, $"{name} has no event id");
                        events.Add(new LogEvent(assembly.GetName().Name!, name, message.EventId));
                    }
                }
            }
        }

        return events;
    }

    /// <summary>The "Reserved ranges" table of docs/logging.md: project → its first and last id.</summary>
    private static Dictionary<string, (int First, int Last)> ReservedRanges()
    {
        var doc = File.ReadAllText(Path.Combine(Solution.RepositoryRoot(), "docs", "logging.md")).ReplaceLineEndings("\n");
        var section = doc[doc.IndexOf("## Reserved ranges", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];

        return RangeRow().Matches(section).ToDictionary(
            m => m.Groups["project"].Value,
            m => (int.Parse(m.Groups["first"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups["last"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^\| (?<project>SendApi[A-Za-z.]*)[^|]*\| (?<first>[0-9]+)-(?<last>[0-9]+) \|$", RegexOptions.Multiline | RegexOptions.NonBacktracking)]
    private static partial Regex RangeRow();
}
