namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// The domains test classes share one collection, so they run one after another (they start and
/// stop several applications each). Running beside the other classes is safe since the host gives
/// Hangfire a log provider that survives a disposed application (see HangfireLogProvider).
/// </summary>
[CollectionDefinition(Name)]
public sealed class DomainsCollection
{
    public const string Name = "Domains";
}
