namespace SendApi.Core.Templates;

/// <summary>
/// One version of an account's template, as written: Handlebars sources, compiled and rendered by
/// the API. Versions are never changed after they are written; a change is a new version.
/// </summary>
/// <param name="Name">The alias, unique in its account (<see cref="TemplateNames"/>).</param>
/// <param name="Version">1 for the first; each update adds one.</param>
/// <param name="Layout">The name of the template whose html/text wrap this one's at <c>{{{body}}}</c>; null for none.</param>
/// <param name="CreatedAt">When this version was written.</param>
/// <param name="Unsubscribe">Whether sends of this version get unsubscribe links when they don't say; null: the server's default. Absent in versions written before it existed.</param>
public sealed record StoredTemplate(
    string Name,
    int Version,
    string? Subject,
    string? Html,
    string? Text,
    string? Layout,
    DateTimeOffset CreatedAt,
    bool? Unsubscribe = null);

/// <summary>A page of an account's templates, in name order, each as its latest version.</summary>
/// <param name="NextCursor">The last name of this page when more follow; null on the last page.</param>
public sealed record TemplatePage(IReadOnlyList<StoredTemplate> Items, string? NextCursor);
