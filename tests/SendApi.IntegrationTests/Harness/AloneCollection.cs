namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// Test classes that measure how long something takes (a request against a hung Redis) run after
/// the parallel ones, alone: beside every other class in this process, the thread pool's backlog,
/// not the code under test, would set their times.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
