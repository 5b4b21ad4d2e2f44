using SendApi.Core.Instances;

namespace SendApi.Storage.Embedded;

/// <summary>Embedded, the store dies with its only instance: there is never anyone to take over.</summary>
internal sealed class InMemoryInstanceRegistry : IInstanceRegistry
{
    public Task HeartbeatAsync(ProcessInstance instance, TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<TakenOver> TakeOverLapsedAsync(DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult(default(TakenOver));
}
