using SendApi.Core.Templates;
using SendApi.IntegrationTests.Harness;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryTemplateStoreTests : TemplateStoreContract
{
    protected override ITemplateStore CreateStore() => new InMemoryTemplateStore();
}

public sealed class RedisTemplateStoreContractTests(RedisServerFixture redis) : TemplateStoreContract, IClassFixture<RedisServerFixture>
{
    // A fresh key prefix per test keeps each test's templates to itself on the shared server.
    protected override ITemplateStore CreateStore() => new RedisTemplateStore(redis.Connection, new RedisKeys($"t{Guid.NewGuid():N}:"));
}
