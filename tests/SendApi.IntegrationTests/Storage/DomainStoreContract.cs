using SendApi.Core.Domains;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about sender domains: one per name and account, each account seeing its own only.</summary>
public abstract class DomainStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract IDomainStore CreateStore();

    // The stores keep the key as they are given it; a real RSA key would only slow the tests.
    protected static SenderDomain Domain(string account, string name, DateTimeOffset createdAt, string selector = "sa20261122-0001") =>
        new(account, name, createdAt, new DkimKey(selector, DkimKey.RsaSha256, "MIIBIjAN", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"));

    [Fact]
    public async Task An_added_domain_is_found_with_its_key_by_its_account_only()
    {
        var store = CreateStore();
        var domain = Domain("shop", "acme.test", T0);

        Assert.True(await store.AddAsync(domain, default));

        var found = await store.FindAsync("shop", "acme.test", default);
        Assert.NotNull(found);
        Assert.Equal(domain with { Dkim = found.Dkim }, found);
        Assert.Equal(domain.Dkim.PrivateKeyPem, found.Dkim.PrivateKeyPem);
        Assert.Equal(domain.Dkim.Selector, found.Dkim.Selector);
        Assert.Null(await store.FindAsync("other", "acme.test", default));
        Assert.Null(await store.FindAsync("shop", "other.test", default));
        Assert.Empty(await store.ListAsync("other", default));
    }

    [Fact]
    public async Task Adding_a_name_the_account_has_already_changes_nothing()
    {
        var store = CreateStore();
        Assert.True(await store.AddAsync(Domain("shop", "acme.test", T0, selector: "first"), default));

        Assert.False(await store.AddAsync(Domain("shop", "acme.test", T0.AddMinutes(1), selector: "second"), default));

        Assert.Equal("first", (await store.FindAsync("shop", "acme.test", default))!.Dkim.Selector);
        Assert.Single(await store.ListAsync("shop", default));
    }

    [Fact]
    public async Task Two_accounts_may_register_the_same_name_each_with_its_own_key()
    {
        var store = CreateStore();
        Assert.True(await store.AddAsync(Domain("shop", "acme.test", T0, selector: "shops"), default));
        Assert.True(await store.AddAsync(Domain("rival", "acme.test", T0, selector: "rivals"), default));

        Assert.Equal("shops", (await store.FindAsync("shop", "acme.test", default))!.Dkim.Selector);
        Assert.Equal("rivals", (await store.FindAsync("rival", "acme.test", default))!.Dkim.Selector);
    }

    [Fact]
    public async Task An_accounts_domains_are_listed_oldest_first_then_by_name()
    {
        var store = CreateStore();
        await store.AddAsync(Domain("shop", "c.test", T0.AddMinutes(1)), default);
        await store.AddAsync(Domain("shop", "b.test", T0), default);
        await store.AddAsync(Domain("shop", "a.test", T0), default);
        await store.AddAsync(Domain("other", "0.test", T0), default);

        Assert.Equal(["a.test", "b.test", "c.test"], (await store.ListAsync("shop", default)).Select(d => d.Name));
    }

    [Fact]
    public async Task Deleting_removes_the_accounts_domain_only_and_says_whether_there_was_one()
    {
        var store = CreateStore();
        await store.AddAsync(Domain("shop", "acme.test", T0), default);
        await store.AddAsync(Domain("rival", "acme.test", T0), default);

        Assert.True(await store.DeleteAsync("shop", "acme.test", default));

        Assert.Null(await store.FindAsync("shop", "acme.test", default));
        Assert.NotNull(await store.FindAsync("rival", "acme.test", default));
        Assert.False(await store.DeleteAsync("shop", "acme.test", default));
        Assert.True(await store.AddAsync(Domain("shop", "acme.test", T0.AddHours(1)), default));
    }
}
