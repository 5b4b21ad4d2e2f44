using SendApi.Core.Suppressions;

namespace SendApi.IntegrationTests.Suppressions;

/// <summary>The suppression list as both storage modes must keep it.</summary>
public abstract class SuppressionStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract ISuppressionStore CreateStore();

    private static Suppression Entry(string address, string reason = SuppressionReasons.Manual, DateTimeOffset? at = null) =>
        new(address, reason, null, null, at ?? T0);

    [Fact]
    public async Task Adding_is_idempotent_and_keeps_the_first_reason_and_time()
    {
        var store = CreateStore();
        var first = await store.AddAsync("acct", Entry("Bob@Example.test", SuppressionReasons.HardBounce), default);
        var again = await store.AddAsync("acct", Entry("bob@example.TEST", SuppressionReasons.Complaint, T0.AddHours(1)), default);

        Assert.True(first.Added);
        Assert.Equal("bob@example.test", first.Suppression.Address);
        Assert.False(again.Added);
        Assert.Equal(first.Suppression, again.Suppression);
        Assert.Equal(first.Suppression, await store.GetAsync("acct", "BOB@example.test", default));
    }

    [Fact]
    public async Task Batch_check_returns_only_the_suppressed_addresses_of_that_account_case_insensitively()
    {
        var store = CreateStore();
        await store.AddAsync("acct", Entry("gone@example.test", SuppressionReasons.HardBounce), default);
        await store.AddAsync("acct", Entry("angry@example.test", SuppressionReasons.Complaint), default);
        await store.AddAsync("other", Entry("fine@example.test"), default);

        var found = await store.FindAsync("acct", ["Gone@Example.test", "fine@example.test", "angry@example.test", "new@example.test"], default);

        Assert.Equal(["angry@example.test", "gone@example.test"], found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SuppressionReasons.HardBounce, found["gone@example.test"].Reason);
        Assert.Empty(await store.FindAsync("acct", [], default));
        Assert.Null(await store.GetAsync("other", "gone@example.test", default));
    }

    [Fact]
    public async Task Removing_takes_the_address_off_the_list_of_that_account_only()
    {
        var store = CreateStore();
        await store.AddAsync("acct", Entry("x@example.test"), default);
        await store.AddAsync("other", Entry("x@example.test"), default);

        Assert.True(await store.RemoveAsync("acct", "X@example.test", default));
        Assert.False(await store.RemoveAsync("acct", "x@example.test", default));
        Assert.Null(await store.GetAsync("acct", "x@example.test", default));
        Assert.Empty(await store.FindAsync("acct", ["x@example.test"], default));
        Assert.NotNull(await store.GetAsync("other", "x@example.test", default));
        Assert.Empty((await store.ListAsync("acct", null, 10, default)).Items);
    }

    [Fact]
    public async Task Listing_pages_through_every_address_in_order_without_gaps_or_repeats()
    {
        var store = CreateStore();
        var addresses = Enumerable.Range(0, 7).Select(i => $"u{i}@example.test").ToList();
        foreach (var address in addresses.AsEnumerable().Reverse())
        {
            await store.AddAsync("acct", Entry(address), default);
        }

        await store.AddAsync("other", Entry("zz@example.test"), default);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ListAsync("acct", cursor, 3, default);
            seen.AddRange(page.Items.Select(s => s.Address));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(addresses, seen);
        Assert.Equal(3, pages);

        // An exactly full last page says there is nothing after it.
        var all = await store.ListAsync("acct", null, 7, default);
        Assert.Equal(7, all.Items.Count);
        Assert.Null(all.NextCursor);
    }
}
