using System.Reflection;
using System.Text.RegularExpressions;
using SendApi.Delivery.Throttling;

namespace SendApi.UnitTests.Build;

/// <summary>
/// Every regex in src reads text that someone else chose: mail arriving on port 25, SMTP replies
/// from remote servers, API fields. A backtracking regex can take time exponential in such text
/// (8,000 blank lines once took a bounce regex 105 s), so each one must be NonBacktracking, or —
/// only for a pattern the operator writes, which may need lookarounds — have a match timeout.
/// A new backtracking regex fails here, by name.
/// </summary>
public sealed class LinearRegexTests
{
    [Fact]
    public void Every_regex_in_the_src_assemblies_is_non_backtracking_or_has_a_timeout()
    {
        // A [GeneratedRegex] is also cached in a field the generator writes: named by its declaration.
        var regexes = Solution.SrcAssemblies().SelectMany(FindRegexes)
            .OrderBy(r => r.Name.EndsWith("()", StringComparison.Ordinal) ? 0 : 1)
            .DistinctBy(r => r.Regex, ReferenceEqualityComparer.Instance)
            .ToList();

        // The enumeration itself must see them: the inbound readers alone declare more than 30.
        Assert.True(regexes.Count > 30, $"Only {regexes.Count} regexes found; the reflection no longer sees them.");
        var backtracking = regexes
            .Where(r => !r.Regex.Options.HasFlag(RegexOptions.NonBacktracking) && r.Regex.MatchTimeout == Regex.InfiniteMatchTimeout)
            .Select(r => $"{r.Name}: {r.Regex}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(backtracking.Count == 0, $"Backtracking regexes without a timeout:\n{string.Join("\n", backtracking)}");
    }

    [Fact]
    public void Every_src_project_is_among_the_inspected_assemblies()
    {
        var projects = Directory.GetFiles(Path.Combine(Solution.RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal);

        Assert.Equal(projects, Solution.SrcAssemblies().Select(a => a.GetName().Name).Order(StringComparer.Ordinal));
    }

    /// <summary>A regex built at run time (not a static member) is invisible to reflection: only the backoff rules may, and they are checked below.</summary>
    [Fact]
    public void Regexes_are_built_at_run_time_only_by_the_backoff_rules()
    {
        var root = Solution.RepositoryRoot();
        var construction = new Regex(@"new\s+(System\.Text\.RegularExpressions\.)?Regex\s*\(|\bRegex\s*\.\s*(IsMatch|Match|Matches|Replace|Split|Count|EnumerateMatches|EnumerateSplits)\s*\(", RegexOptions.NonBacktracking);
        var offenders = Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => construction.IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .ToList();

        Assert.Equal(["src/SendApi.Delivery/Throttling/BackoffRules.cs"], offenders);
    }

    [Theory]
    [InlineData(@"^4\d\d 4\.7\.28\b", true)]
    [InlineData(@"^421 .*slow down", true)]
    [InlineData(@"(?<!4\.7\.)28", false)]
    [InlineData(@"(4\d\d) .*\1", false)]
    public void An_operator_backoff_pattern_is_linear_when_it_can_be_and_has_a_timeout_otherwise(string pattern, bool linear)
    {
        var regex = BackoffRules.Compile(pattern);

        Assert.Equal(linear, regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.True(linear || regex.MatchTimeout < TimeSpan.FromSeconds(1), $"{pattern}: {regex.MatchTimeout}");
    }

    [Fact]
    public void A_catastrophic_operator_backoff_pattern_gives_up_instead_of_holding_the_worker()
    {
        // Nested quantifiers over a run of a's with no b: exponential for a backtracking engine.
        var rules = new BackoffRules([new BackoffRule { Name = "evil", Pattern = @"(a+)+(?<!x)b" }]);
        var reply = new SendApi.Core.Messages.SmtpReply(421, "4.7.0", new string('a', 5000));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var match = rules.Match(reply);

        Assert.Null(match);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    private static IEnumerable<(string Name, Regex Regex)> FindRegexes(Assembly assembly)
    {
        var types = Solution.TypesOf(assembly);

        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var type in types.Where(t => !t.ContainsGenericParameters))
        {
            foreach (var method in type.GetMethods(statics).Where(m => m.IsDefined(typeof(GeneratedRegexAttribute)) && m.GetParameters().Length == 0))
            {
                yield return ($"{type.FullName}.{method.Name}()", (Regex)method.Invoke(null, null)!);
            }

            foreach (var property in type.GetProperties(statics).Where(p => typeof(Regex).IsAssignableFrom(p.PropertyType) && p.GetIndexParameters().Length == 0 && p.GetMethod is not null))
            {
                if (property.GetValue(null) is Regex regex)
                {
                    yield return ($"{type.FullName}.{property.Name}", regex);
                }
            }

            foreach (var field in type.GetFields(statics).Where(f => typeof(Regex).IsAssignableFrom(f.FieldType)))
            {
                if (field.GetValue(null) is Regex regex)
                {
                    yield return ($"{type.FullName}.{field.Name}", regex);
                }
            }
        }
    }
}
