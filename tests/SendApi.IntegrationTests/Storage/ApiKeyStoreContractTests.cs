using SendApi.Core.Accounts;
using SendApi.Storage.Embedded;
using SendApi.Storage.Redis;
using StackExchange.Redis;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Storage;

public sealed class InMemoryApiKeyStoreTests : ApiKeyStoreContract
{
    protected override IApiKeyStore CreateStore() => new InMemoryApiKeyStore();
}

public sealed class RedisApiKeyStoreTests(RedisServerFixture redis) : ApiKeyStoreContract, IClassFixture<RedisServerFixture>
{
    private RedisKeys _keys = null!;

    // A fresh key prefix per test keeps each test's keys to itself on the shared server.
    protected override IApiKeyStore CreateStore() => new RedisApiKeyStore(redis.Connection, _keys = new RedisKeys($"t{Guid.NewGuid():N}:"));

    [Fact]
    public async Task The_secret_is_nowhere_in_redis_only_its_hash()
    {
        var store = CreateStore();
        var secret = ApiKeySecrets.Generate();
        await store.SaveAsync(Key("shop", T0, admin: true), secret, default);

        var stored = await EverythingStoredAsync();

        Assert.NotEmpty(stored);
        Assert.DoesNotContain(stored, text => text.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(stored, text => text.Contains(ApiKeySecrets.Hash(secret), StringComparison.Ordinal));
    }

    /// <summary>Every key name, hash field and value under this test's prefix.</summary>
    private async Task<List<string>> EverythingStoredAsync()
    {
        var db = redis.Connection.GetDatabase();
        var found = new List<string>();
        await foreach (var key in redis.Connection.GetServers()[0].KeysAsync(pattern: _keys.Prefix + "*"))
        {
            found.Add(key!);
            foreach (var entry in await db.HashGetAllAsync(key))
            {
                found.Add(entry.Name!);
                found.Add(entry.Value!);
            }
        }

        return found;
    }
}
