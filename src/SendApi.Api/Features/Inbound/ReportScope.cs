namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Which recipients of a message a report may speak of: those its return path was given for
/// (one, or the several of one transaction), or any recipient when nothing narrows it (an
/// unsigned return path of the "several" form, a report that found its message by Message-ID).
/// </summary>
internal sealed class ReportScope
{
    private readonly IReadOnlySet<int>? _indexes;

    private ReportScope(IReadOnlySet<int>? indexes) => _indexes = indexes;

    public static ReportScope AnyRecipient { get; } = new(null);

    public static ReportScope Only(int index) => new(new HashSet<int> { index });

    public static ReportScope Of(IEnumerable<int> indexes) => new(indexes.ToHashSet());

    /// <summary>What several return paths of one message in one transaction cover together.</summary>
    public static ReportScope Union(IEnumerable<ReportScope> scopes)
    {
        var union = new HashSet<int>();
        foreach (var scope in scopes)
        {
            if (scope._indexes is null)
            {
                return AnyRecipient;
            }

            union.UnionWith(scope._indexes);
        }

        return new ReportScope(union);
    }

    public bool Allows(int index) => _indexes is null || _indexes.Contains(index);

    /// <summary>The one recipient in scope, when there is exactly one: what a report that names nobody is about.</summary>
    public int? Single => _indexes is { Count: 1 } ? _indexes.First() : null;
}
