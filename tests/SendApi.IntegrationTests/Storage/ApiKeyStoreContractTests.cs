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

    [Fact]
    public async Task A_key_stored_before_scopes_existed_keeps_its_rights_as_the_full_scope_without_limits_of_its_own()
    {
        var store = CreateStore();
        var secret = ApiKeySecrets.Generate();
        var hash = ApiKeySecrets.Hash(secret);
        // The record exactly as the previous version wrote it.
        const string Before = """{"id":"key_00112233445566ff","name":"shop","account_id":"shop","is_admin":false,"created_at":"2026-11-01T10:00:00+00:00"}""";
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(_keys.ApiKeysByHash, hash, Before);
        await db.HashSetAsync(_keys.ApiKeysById, "key_00112233445566ff", hash);

        var found = await store.FindBySecretAsync(secret, default);

        Assert.NotNull(found);
        Assert.Equal(ApiKeyScopes.Full, found.EffectiveScope);
        Assert.Null(found.Domains);
        Assert.Null(found.RateLimit);
        Assert.False(found.Sandbox);
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
