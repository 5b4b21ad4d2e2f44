using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// The storage a test class runs SendApi on: embedded (in-memory), or its own redis-server. Test
/// families that must hold on both modes take one from their subclass and dispose it after the app.
/// </summary>
public sealed class StorageUnderTest : IAsyncDisposable
{
    private readonly RedisServer? _redis;

    private StorageUnderTest(RedisServer? redis) => _redis = redis;

    public static Task<StorageUnderTest> StartAsync(bool redis) =>
        redis ? StartRedisAsync() : Task.FromResult(new StorageUnderTest(null));

    /// <summary>The settings that select this storage; a fresh dictionary, free to extend.</summary>
    public Dictionary<string, string?> Settings() =>
        _redis is null ? [] : new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString };

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private static async Task<StorageUnderTest> StartRedisAsync() => new(await RedisServer.StartAsync());
}
