namespace SendApi.Api.Features.Templates;

/// <summary>Settings under "Templates" (env <c>Templates__*</c>): the bounds that keep a template and its rendering cheap.</summary>
public sealed class TemplatesOptions
{
    public const string Section = "Templates";

    /// <summary>Longest source of one part (subject, html or text), in characters.</summary>
    public int MaxSourceLength { get; set; } = 100_000;

    /// <summary>
    /// Most <c>{{…}}</c> tags in one part. Handlebars.Net compiles a tag in the order of a
    /// millisecond; the bound keeps a compile (at each store, and at a cache miss) under a second or so.
    /// </summary>
    public int MaxTags { get; set; } = 2000;

    /// <summary>Largest <c>variables</c> object (a message's, or one recipient's), in characters of its JSON.</summary>
    public int MaxVariablesLength { get; set; } = 64 * 1024;

    /// <summary>
    /// Compiled template parts kept in memory, counted in parts of up to 100 tags (a part of 250
    /// tags counts 3); when it is full, the least recently used go first.
    /// </summary>
    public int CompiledCacheSize { get; set; } = 1000;

    /// <summary>
    /// The work one part may do while rendering, as loop iterations times the part's tags: a
    /// template that loops over large variables fails with 400 rather than holding a CPU.
    /// </summary>
    public long MaxRenderWork { get; set; } = 4_000_000;
}
