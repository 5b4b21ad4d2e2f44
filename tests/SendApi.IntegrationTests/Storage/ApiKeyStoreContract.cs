using SendApi.Core.Accounts;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about API keys: found by their secret only, listed oldest first, replaced and deleted by id.</summary>
public abstract class ApiKeyStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract IApiKeyStore CreateStore();

    protected static ApiKey Key(string name, DateTimeOffset createdAt, bool admin = false, string account = "acct") =>
        new(ApiKeySecrets.NewKeyId(), name, account, admin, createdAt);

    [Fact]
    public async Task A_saved_key_is_found_by_its_secret_with_its_account_and_admin_flag()
    {
        var store = CreateStore();
        var admin = Key("ops", T0, admin: true, account: "ops-team");
        var plain = Key("shop", T0.AddMinutes(1));
        var adminSecret = ApiKeySecrets.Generate();
        var plainSecret = ApiKeySecrets.Generate();
        await store.SaveAsync(admin, adminSecret, default);
        await store.SaveAsync(plain, plainSecret, default);

        Assert.Equal(admin, await store.FindBySecretAsync(adminSecret, default));
        Assert.Equal(plain, await store.FindBySecretAsync(plainSecret, default));
        Assert.True((await store.FindBySecretAsync(adminSecret, default))!.IsAdmin);
        Assert.False((await store.FindBySecretAsync(plainSecret, default))!.IsAdmin);
        Assert.Null(await store.FindBySecretAsync(ApiKeySecrets.Generate(), default));
        Assert.Null(await store.FindBySecretAsync(plainSecret.ToUpperInvariant(), default));
    }

    [Fact]
    public async Task The_stored_hash_of_a_secret_is_not_a_secret_that_opens_the_key()
    {
        var store = CreateStore();
        var secret = ApiKeySecrets.Generate();
        await store.SaveAsync(Key("shop", T0), secret, default);

        // What a reader of the store sees (the hash) must not log in.
        Assert.Null(await store.FindBySecretAsync(ApiKeySecrets.Hash(secret), default));
        Assert.NotNull(await store.FindBySecretAsync(secret, default));
    }

    [Fact]
    public async Task Keys_are_listed_oldest_first()
    {
        var store = CreateStore();
        var second = Key("second", T0.AddMinutes(2));
        var first = Key("first", T0);
        var third = Key("third", T0.AddMinutes(5), admin: true);
        foreach (var key in new[] { second, third, first })
        {
            await store.SaveAsync(key, ApiKeySecrets.Generate(), default);
        }

        Assert.Equal([first, second, third], await store.ListAsync(default));
    }

    [Fact]
    public async Task Saving_again_under_the_same_id_replaces_the_key_and_its_old_secret_stops_working()
    {
        var store = CreateStore();
        var key = Key("bootstrap", T0, admin: true);
        var oldSecret = ApiKeySecrets.Generate();
        var newSecret = ApiKeySecrets.Generate();
        await store.SaveAsync(key, oldSecret, default);

        await store.SaveAsync(key with { Name = "renamed" }, newSecret, default);

        Assert.Null(await store.FindBySecretAsync(oldSecret, default));
        Assert.Equal("renamed", (await store.FindBySecretAsync(newSecret, default))!.Name);
        Assert.Equal(["renamed"], (await store.ListAsync(default)).Select(k => k.Name));
    }

    [Fact]
    public async Task Saving_again_with_the_same_secret_keeps_one_key()
    {
        var store = CreateStore();
        var key = Key("bootstrap", T0, admin: true);
        var secret = ApiKeySecrets.Generate();
        await store.SaveAsync(key, secret, default);
        await store.SaveAsync(key, secret, default);

        Assert.Equal(key, Assert.Single(await store.ListAsync(default)));
        Assert.Equal(key, await store.FindBySecretAsync(secret, default));
    }

    [Fact]
    public async Task A_deleted_key_no_longer_opens_and_deleting_it_again_says_so()
    {
        var store = CreateStore();
        var kept = Key("kept", T0);
        var deleted = Key("deleted", T0.AddMinutes(1));
        var keptSecret = ApiKeySecrets.Generate();
        var deletedSecret = ApiKeySecrets.Generate();
        await store.SaveAsync(kept, keptSecret, default);
        await store.SaveAsync(deleted, deletedSecret, default);

        Assert.True(await store.DeleteAsync(deleted.Id, default));

        Assert.Null(await store.FindBySecretAsync(deletedSecret, default));
        Assert.Equal(kept, await store.FindBySecretAsync(keptSecret, default));
        Assert.Equal([kept], await store.ListAsync(default));
        Assert.False(await store.DeleteAsync(deleted.Id, default));
        Assert.False(await store.DeleteAsync(ApiKeySecrets.NewKeyId(), default));
    }

    [Fact]
    public async Task Scope_domains_rate_limit_sandbox_and_prefix_are_kept_with_the_key()
    {
        var store = CreateStore();
        var secret = ApiKeySecrets.Generate();
        var key = Key("checkout", T0) with
        {
            Scope = ApiKeyScopes.Send, Domains = ["acme.test", "shop.acme.test"], RateLimit = 7, Sandbox = true, Prefix = ApiKeySecrets.PrefixOf(secret),
        };
        await store.SaveAsync(key, secret, default);

        foreach (var found in new[] { await store.FindBySecretAsync(secret, default), Assert.Single(await store.ListAsync(default)) })
        {
            Assert.NotNull(found);
            Assert.Equal(ApiKeyScopes.Send, found.EffectiveScope);
            Assert.Equal(["acme.test", "shop.acme.test"], found.Domains!);
            Assert.Equal(7, found.RateLimit);
            Assert.True(found.Sandbox);
            Assert.Equal(secret[..8], found.Prefix);
        }
    }

    [Fact]
    public async Task Last_used_times_are_listed_with_their_keys_and_a_revoked_key_leaves_none_behind()
    {
        var store = CreateStore();
        var used = Key("used", T0);
        var idle = Key("idle", T0.AddMinutes(1));
        var revoked = Key("revoked", T0.AddMinutes(2));
        foreach (var key in new[] { used, idle, revoked })
        {
            await store.SaveAsync(key, ApiKeySecrets.Generate(), default);
        }

        await store.DeleteAsync(revoked.Id, default);
        await store.NoteUsedAsync(new Dictionary<string, DateTimeOffset> { [used.Id] = T0.AddHours(1), [revoked.Id] = T0.AddHours(1) }, default);
        await store.NoteUsedAsync(new Dictionary<string, DateTimeOffset> { [used.Id] = T0.AddHours(2) }, default);

        var listed = await store.ListAsync(default);
        Assert.Equal([used.Id, idle.Id], listed.Select(k => k.Id));
        Assert.Equal(T0.AddHours(2), listed[0].LastUsedAt);
        Assert.Null(listed[1].LastUsedAt);

        // Saved again (the bootstrap key at a restart): the record's own field never hides the noted time.
        await store.SaveAsync(used with { LastUsedAt = T0 }, ApiKeySecrets.Generate(), default);
        Assert.Equal(T0.AddHours(2), (await store.ListAsync(default))[0].LastUsedAt);
    }
}
