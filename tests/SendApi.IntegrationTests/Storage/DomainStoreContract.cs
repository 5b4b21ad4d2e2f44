using System.Text.Json;
using SendApi.Core.Domains;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about sender domains: one per name and account, each account
/// seeing its own only; the last DNS check of each kept beside it and gone with it; every account's
/// domains listed for the periodic re-check.
/// </summary>
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
    private static DomainVerification Check(string selector, DateTimeOffset at, string dkimStatus) =>
        new(selector, at,
        [
            new RecordCheck(RecordPurposes.Dkim, "TXT", $"{selector}._domainkey.acme.test", dkimStatus,
                dkimStatus == RecordStatuses.Missing ? [] : ["v=DKIM1; k=rsa; p=MIIBIjAN"],
                dkimStatus == RecordStatuses.Verified ? null : "not as expected", dkimStatus == RecordStatuses.Verified ? at : null),
            new RecordCheck(RecordPurposes.Spf, "TXT", "acme.test", RecordStatuses.Error, [], "SERVFAIL", at.AddHours(-1)),
            new RecordCheck(RecordPurposes.ReturnPathMx, "MX", "bounces.sendapi.test", RecordStatuses.Verified, ["mail.sendapi.test", "mx2.sendapi.test"], null, at),
        ]);

    // The records hold lists, which records compare by reference: compare what was stored as JSON.
    private static void AssertSame(DomainVerification expected, DomainVerification? actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));

    [Fact]
    public async Task A_saved_check_is_found_whole_by_its_account_only_and_the_next_one_replaces_it()
    {
        var store = CreateStore();
        await store.AddAsync(Domain("shop", "acme.test", T0), default);
        Assert.Null(await store.FindVerificationAsync("shop", "acme.test", default));
        var first = Check("sa20261122-0001", T0, RecordStatuses.Missing);

        await store.SaveVerificationAsync("shop", "acme.test", first, default);

        AssertSame(first, await store.FindVerificationAsync("shop", "acme.test", default));
        Assert.Null(await store.FindVerificationAsync("rival", "acme.test", default));
        Assert.Null(await store.FindVerificationAsync("shop", "other.test", default));
        Assert.False((await store.FindVerificationAsync("shop", "acme.test", default))!.IsVerified);

        var second = Check("sa20261122-0001", T0.AddHours(1), RecordStatuses.Verified);
        await store.SaveVerificationAsync("shop", "acme.test", second, default);

        var found = await store.FindVerificationAsync("shop", "acme.test", default);
        AssertSame(second, found);
        // Verified, the SPF error counting as verified since it was verified before the error.
        Assert.True(found!.IsVerified);
    }

    [Fact]
    public async Task An_accounts_checks_are_listed_by_domain_name_and_another_accounts_are_not()
    {
        var store = CreateStore();
        var acme = Check("one", T0, RecordStatuses.Verified);
        var shop = Check("two", T0.AddMinutes(1), RecordStatuses.Mismatch);
        await store.SaveVerificationAsync("shop", "acme.test", acme, default);
        await store.SaveVerificationAsync("shop", "shop.test", shop, default);
        await store.SaveVerificationAsync("rival", "rival.test", Check("three", T0, RecordStatuses.Verified), default);

        var listed = await store.ListVerificationsAsync("shop", default);

        Assert.Equal(["acme.test", "shop.test"], listed.Keys.Order(StringComparer.Ordinal));
        AssertSame(acme, listed["acme.test"]);
        AssertSame(shop, listed["shop.test"]);
        Assert.Empty(await store.ListVerificationsAsync("nobody", default));
    }

    [Fact]
    public async Task Deleting_a_domain_deletes_its_check_so_a_domain_registered_again_starts_unchecked()
    {
        var store = CreateStore();
        await store.AddAsync(Domain("shop", "acme.test", T0), default);
        await store.AddAsync(Domain("rival", "acme.test", T0), default);
        await store.SaveVerificationAsync("shop", "acme.test", Check("sa20261122-0001", T0, RecordStatuses.Verified), default);
        await store.SaveVerificationAsync("rival", "acme.test", Check("sa20261122-0001", T0, RecordStatuses.Verified), default);

        await store.DeleteAsync("shop", "acme.test", default);
        await store.AddAsync(Domain("shop", "acme.test", T0.AddHours(1), selector: "sa20261122-0002"), default);

        Assert.Null(await store.FindVerificationAsync("shop", "acme.test", default));
        Assert.Empty(await store.ListVerificationsAsync("shop", default));
        Assert.NotNull(await store.FindVerificationAsync("rival", "acme.test", default));
    }

    [Fact]
    public async Task Every_accounts_domains_are_listed_for_the_re_check()
    {
        var store = CreateStore();
        Assert.Empty(await store.ListAllAsync(default));
        await store.AddAsync(Domain("shop", "acme.test", T0), default);
        await store.AddAsync(Domain("shop", "shop.test", T0), default);
        await store.AddAsync(Domain("rival", "acme.test", T0, selector: "rivals"), default);
        await store.AddAsync(Domain("gone", "gone.test", T0), default);
        await store.DeleteAsync("gone", "gone.test", default);

        var all = await store.ListAllAsync(default);

        Assert.Equal(
            [("rival", "acme.test", "rivals"), ("shop", "acme.test", "sa20261122-0001"), ("shop", "shop.test", "sa20261122-0001")],
            all.Select(d => (d.AccountId, d.Name, d.Dkim.Selector)).Order());
    }
}
