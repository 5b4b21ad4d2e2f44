namespace SendApi.Core.Templates;

/// <summary>
/// Each account's templates and all their versions. The rules every implementation keeps:
/// a name is unique in its account; the first version is 1 and each later one is the latest + 1,
/// assigned by the store in one atomic step (two concurrent updates get two versions, never one);
/// a version, once written, never changes; deleting a template deletes all its versions, and a
/// template created again under the name starts at 1.
/// </summary>
public interface ITemplateStore
{
    /// <summary>Writes version 1 of <paramref name="template"/> (its <see cref="StoredTemplate.Version"/> is ignored); null when the account already has a template of that name.</summary>
    Task<StoredTemplate?> CreateAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken);

    /// <summary>Writes the next version (its <see cref="StoredTemplate.Version"/> is ignored); null when the account has no template of that name.</summary>
    Task<StoredTemplate?> AddVersionAsync(string accountId, StoredTemplate template, CancellationToken cancellationToken);

    /// <summary>The given version, or the latest when <paramref name="version"/> is null; null when there is none.</summary>
    Task<StoredTemplate?> FindAsync(string accountId, string name, int? version, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> templates (each its latest version) after the name <paramref name="cursor"/> (null: from the start), in ordinal name order.</summary>
    Task<TemplatePage> ListAsync(string accountId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>False when there was no template of that name.</summary>
    Task<bool> DeleteAsync(string accountId, string name, CancellationToken cancellationToken);
}
