using SendApi.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Harness;

/// <summary>One redis-server for a test class, with a connection: the Redis side of the store contract suites.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public IConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync($"{Server.ConnectionString},protocol=resp2");
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
    }
}
