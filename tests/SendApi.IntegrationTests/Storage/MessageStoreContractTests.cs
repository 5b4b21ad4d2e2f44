using Microsoft.Extensions.Time.Testing;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Infrastructure;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryMessageStoreTests : MessageStoreContract
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        var store = new InMemoryMessageStore(new FakeTimeProvider(T0));
        return (store, store);
    }
}

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

public sealed class RedisMessageStoreTests(RedisServerFixture redis) : MessageStoreContract, IClassFixture<RedisServerFixture>
{
    protected override (IMessageStore Messages, IDeliveryQueue Queue) CreateStore()
    {
        // A fresh key prefix per test keeps each test's queue to itself on the shared server.
        var store = new RedisMessageStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
        return (store, store);
    }
}
