using SendApi.Core.Messages;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryReturnPathKeyStoreTests : ReturnPathKeyStoreContract
{
    protected override IReturnPathKeyStore CreateStore() => new InMemoryReturnPathKeyStore();
}

public sealed class RedisReturnPathKeyStoreTests(RedisServerFixture redis) : ReturnPathKeyStoreContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test: each test is a deployment of its own.
    protected override IReturnPathKeyStore CreateStore() => new RedisReturnPathKeyStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
}
