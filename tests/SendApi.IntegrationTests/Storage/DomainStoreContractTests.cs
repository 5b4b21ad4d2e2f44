using SendApi.Core.Domains;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryDomainStoreTests : DomainStoreContract
{
    protected override IDomainStore CreateStore() => new InMemoryDomainStore();
}

public sealed class RedisDomainStoreContractTests(RedisServerFixture redis) : DomainStoreContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's domains to itself on the shared server.
    protected override IDomainStore CreateStore() => new RedisDomainStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
}
