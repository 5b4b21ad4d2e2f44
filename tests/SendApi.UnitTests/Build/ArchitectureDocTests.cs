using System.Text.RegularExpressions;
using SendApi.Delivery;
using SendApi.Webhooks;

namespace SendApi.UnitTests.Build;

/// <summary>
/// docs/architecture.md describes the code, so it names what exists: every type in its "Where each
/// hop lives" table is a type of a src project, and every Delivery__ or Webhooks__ setting it
/// mentions is a property of the options class that binds it.
/// </summary>
public sealed partial class ArchitectureDocTests
{
    private static readonly string Doc =
        File.ReadAllText(Path.Combine(Solution.RepositoryRoot(), "docs", "architecture.md")).ReplaceLineEndings("\n");

    [Fact]
    public void Every_type_the_architecture_names_exists_in_the_project_it_names()
    {
        var section = Doc[Doc.IndexOf("\n## Where each hop lives", StringComparison.Ordinal)..];
        var rows = TypeRow().Matches(section).Select(m => (Type: m.Groups["type"].Value, Project: m.Groups["project"].Value)).ToList();
        Assert.True(rows.Count >= 15, $"Only {rows.Count} rows read from the table; has its layout changed?");

        var types = Solution.SrcAssemblies()
            .SelectMany(a => Solution.TypesOf(a).Select(t => (Name: t.Name.Split('`')[0], Project: a.GetName().Name!)))
            .ToHashSet();
        var missing = rows.Where(r => !types.Contains((r.Type, r.Project))).Select(r => $"{r.Type} in {r.Project}").ToList();
        Assert.True(missing.Count == 0, $"docs/architecture.md names types that do not exist there: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_delivery_and_webhook_setting_the_architecture_names_exists()
    {
        var settings = Setting().Matches(Doc).Select(m => (Section: m.Groups["section"].Value, Name: m.Groups["name"].Value)).Distinct().ToList();
        Assert.Contains(("Delivery", "JobLifetime"), settings);

        var missing = settings
            .Where(s => (s.Section == "Delivery" ? typeof(DeliveryOptions) : typeof(WebhookOptions)).GetProperty(s.Name) is null)
            .Select(s => $"{s.Section}__{s.Name}")
            .ToList();
        Assert.True(missing.Count == 0, $"docs/architecture.md names settings that do not exist: {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"^\| `(?<type>[A-Za-z]+)` \| (?<project>SendApi[A-Za-z.]*) \|", RegexOptions.Multiline | RegexOptions.NonBacktracking)]
    private static partial Regex TypeRow();

    [GeneratedRegex(@"`(?<section>Delivery|Webhooks)__(?<name>[A-Za-z]+)`", RegexOptions.NonBacktracking)]
    private static partial Regex Setting();
}
