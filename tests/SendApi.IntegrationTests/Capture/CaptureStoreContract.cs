using SendApi.Core.Capture;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// What both storage modes promise about captured mail: per-account visibility (admins see all),
/// newest-first pages, exact bytes, the bounds on the newest N and their bytes across accounts, and deletion.
/// </summary>
public abstract class CaptureStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract ICaptureStore Create();

    protected static CapturedMessage Captured(string account, DateTimeOffset at, string subject = "hello") =>
        new(CaptureIds.New(at), account, at, Guid.NewGuid().ToString("N"),
            new CapturedEnvelope("bounces+x-0@bounces.test", ["bob@example.test"]),
            new CapturedAddress("Acme", "orders@acme.test"), [new CapturedAddress(null, "bob@example.test")], subject, 42, true, false, 1);

    private static byte[] Raw(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static async Task<CapturedMessage> StoreAsync(ICaptureStore store, string account, DateTimeOffset at, string subject = "hello", int max = 1000)
    {
        var captured = Captured(account, at, subject);
        await store.StoreAsync(captured, Raw("bytes of " + subject), max, long.MaxValue, default);
        return captured;
    }

    private static async Task<CapturedMessage> StoreSizedAsync(ICaptureStore store, DateTimeOffset at, string subject, int size, long maxBytes)
    {
        var captured = Captured("acct", at, subject);
        await store.StoreAsync(captured, new byte[size], 1000, maxBytes, default);
        return captured;
    }

    private static async Task<IEnumerable<string?>> SubjectsAsync(ICaptureStore store) =>
        (await store.ListAsync(CaptureScope.Everyone, null, 100, default)).Items.Select(m => m.Subject);

    [Fact]
    public async Task A_capture_is_read_back_by_its_account_and_by_everyone_but_not_by_another_account()
    {
        var store = Create();
        var captured = Captured("acct", T0);
        var raw = "From: a\r\nSubject: \u00e9\r\n\r\n8-bit \u00fc body\r\n"u8.ToArray();
        await store.StoreAsync(captured, raw, 1000, long.MaxValue, default);

        Assert.Equal(captured.Subject, (await store.FindAsync(CaptureScope.Of("acct"), captured.Id, default))?.Subject);
        Assert.Equal(captured.Envelope.RcptTo, (await store.FindAsync(CaptureScope.Everyone, captured.Id, default))?.Envelope.RcptTo);
        Assert.Equal(raw, await store.GetRawAsync(CaptureScope.Of("acct"), captured.Id, default));
        Assert.Equal(raw, await store.GetRawAsync(CaptureScope.Everyone, captured.Id, default));
        Assert.Null(await store.FindAsync(CaptureScope.Of("other"), captured.Id, default));
        Assert.Null(await store.GetRawAsync(CaptureScope.Of("other"), captured.Id, default));
        Assert.Null(await store.FindAsync(CaptureScope.Everyone, CaptureIds.New(T0), default));
    }

    [Fact]
    public async Task Pages_run_newest_first_from_the_cursor_per_account_and_for_everyone()
    {
        var store = Create();
        for (var i = 0; i < 5; i++)
        {
            await StoreAsync(store, "acct", T0.AddSeconds(i), $"n{i}");
        }

        await StoreAsync(store, "other", T0.AddSeconds(10), "theirs");

        var first = await store.ListAsync(CaptureScope.Of("acct"), null, 2, default);
        var second = await store.ListAsync(CaptureScope.Of("acct"), first.NextCursor, 2, default);
        var third = await store.ListAsync(CaptureScope.Of("acct"), second.NextCursor, 2, default);
        Assert.Equal(["n4", "n3"], first.Items.Select(m => m.Subject));
        Assert.Equal(["n2", "n1"], second.Items.Select(m => m.Subject));
        Assert.Equal(["n0"], third.Items.Select(m => m.Subject));
        Assert.Null(third.NextCursor);

        var everyone = await store.ListAsync(CaptureScope.Everyone, null, 10, default);
        Assert.Equal(["theirs", "n4", "n3", "n2", "n1", "n0"], everyone.Items.Select(m => m.Subject));
        Assert.Null(everyone.NextCursor);
        Assert.Empty((await store.ListAsync(CaptureScope.Of("nobody"), null, 10, default)).Items);
    }

    [Fact]
    public async Task A_cursor_older_than_everything_gives_an_empty_page()
    {
        var store = Create();
        await StoreAsync(store, "acct", T0);

        Assert.Empty((await store.ListAsync(CaptureScope.Of("acct"), CaptureIds.New(T0.AddDays(-1)), 10, default)).Items);
        Assert.Single((await store.ListAsync(CaptureScope.Of("acct"), CaptureIds.New(T0.AddDays(1)), 10, default)).Items);
    }

    [Fact]
    public async Task The_oldest_capture_s_own_id_as_cursor_gives_an_empty_page_and_the_next_one_s_gives_the_oldest()
    {
        var store = Create();
        var oldest = await StoreAsync(store, "acct", T0, "oldest");
        var newer = await StoreAsync(store, "acct", T0.AddSeconds(1), "newer");

        Assert.Empty((await store.ListAsync(CaptureScope.Of("acct"), oldest.Id, 10, default)).Items);
        Assert.Empty((await store.ListAsync(CaptureScope.Everyone, oldest.Id, 10, default)).Items);
        Assert.Equal(["oldest"], (await store.ListAsync(CaptureScope.Of("acct"), newer.Id, 10, default)).Items.Select(m => m.Subject));
    }

    [Fact]
    public async Task Storing_past_the_bound_drops_the_oldest_whoever_they_belong_to()
    {
        var store = Create();
        var old = await StoreAsync(store, "quiet", T0, "oldest", max: 3);
        await StoreAsync(store, "busy", T0.AddSeconds(1), "b1", max: 3);
        await StoreAsync(store, "busy", T0.AddSeconds(2), "b2", max: 3);
        await StoreAsync(store, "busy", T0.AddSeconds(3), "b3", max: 3);

        Assert.Equal(["b3", "b2", "b1"], (await store.ListAsync(CaptureScope.Everyone, null, 10, default)).Items.Select(m => m.Subject));
        Assert.Empty((await store.ListAsync(CaptureScope.Of("quiet"), null, 10, default)).Items);
        Assert.Null(await store.FindAsync(CaptureScope.Everyone, old.Id, default));
        Assert.Null(await store.GetRawAsync(CaptureScope.Everyone, old.Id, default));

        // A lower bound (a restart with a smaller Capture:MaxMessages) trims on the next write.
        await StoreAsync(store, "busy", T0.AddSeconds(4), "b4", max: 1);
        Assert.Equal(["b4"], (await store.ListAsync(CaptureScope.Of("busy"), null, 10, default)).Items.Select(m => m.Subject));
    }

    /// <summary>
    /// One request makes many captures (a message to 50 domains is 50 transactions, each with the
    /// whole message), so a bound on their number alone let one key fill memory with 50 times the
    /// message size per request. The bytes are bounded too; the newest capture is always kept.
    /// </summary>
    [Fact]
    public async Task Storing_past_the_byte_bound_drops_the_oldest_and_keeps_at_least_the_newest()
    {
        var store = Create();
        var first = await StoreSizedAsync(store, T0, "s0", 100, maxBytes: 250);
        await StoreSizedAsync(store, T0.AddSeconds(1), "s1", 100, maxBytes: 250);
        Assert.Equal(["s1", "s0"], await SubjectsAsync(store));

        await StoreSizedAsync(store, T0.AddSeconds(2), "s2", 100, maxBytes: 250);
        Assert.Equal(["s2", "s1"], await SubjectsAsync(store));
        Assert.Null(await store.GetRawAsync(CaptureScope.Everyone, first.Id, default));
        Assert.DoesNotContain(first.Id, (await store.ListAsync(CaptureScope.Of("acct"), null, 10, default)).Items.Select(m => m.Id));

        var big = await StoreSizedAsync(store, T0.AddSeconds(3), "big", 1000, maxBytes: 250);
        Assert.Equal(["big"], await SubjectsAsync(store));

        // Deleted and cleared captures give their bytes back.
        Assert.True(await store.DeleteAsync(CaptureScope.Everyone, big.Id, default));
        await StoreSizedAsync(store, T0.AddSeconds(4), "s4", 100, maxBytes: 250);
        await StoreSizedAsync(store, T0.AddSeconds(5), "s5", 100, maxBytes: 250);
        Assert.Equal(["s5", "s4"], await SubjectsAsync(store));
        await store.ClearAsync(CaptureScope.Of("acct"), default);
        await StoreSizedAsync(store, T0.AddSeconds(6), "s6", 100, maxBytes: 250);
        await StoreSizedAsync(store, T0.AddSeconds(7), "s7", 100, maxBytes: 250);
        Assert.Equal(["s7", "s6"], await SubjectsAsync(store));
    }

    [Fact]
    public async Task Parallel_writers_keep_exactly_the_newest_N_and_the_indexes_agree()
    {
        var store = Create();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => StoreAsync(store, $"acct{i % 3}", T0.AddMilliseconds(i), $"m{i}", max: 50)));

        var everyone = (await store.ListAsync(CaptureScope.Everyone, null, 500, default)).Items;
        Assert.Equal(50, everyone.Count);
        Assert.Equal(Enumerable.Range(150, 50).Reverse().Select(i => $"m{i}"), everyone.Select(m => m.Subject));
        var perAccount = 0;
        for (var a = 0; a < 3; a++)
        {
            var items = (await store.ListAsync(CaptureScope.Of($"acct{a}"), null, 500, default)).Items;
            Assert.All(items, m => Assert.Equal($"acct{a}", m.AccountId));
            perAccount += items.Count;
        }

        Assert.Equal(50, perAccount);
    }

    [Fact]
    public async Task Delete_removes_one_capture_and_only_within_the_scope()
    {
        var store = Create();
        var mine = await StoreAsync(store, "acct", T0, "mine");
        var kept = await StoreAsync(store, "acct", T0.AddSeconds(1), "kept");

        Assert.False(await store.DeleteAsync(CaptureScope.Of("other"), mine.Id, default));
        Assert.NotNull(await store.FindAsync(CaptureScope.Of("acct"), mine.Id, default));

        Assert.True(await store.DeleteAsync(CaptureScope.Of("acct"), mine.Id, default));
        Assert.False(await store.DeleteAsync(CaptureScope.Of("acct"), mine.Id, default));
        Assert.Null(await store.GetRawAsync(CaptureScope.Everyone, mine.Id, default));
        Assert.Equal([kept.Id], (await store.ListAsync(CaptureScope.Of("acct"), null, 10, default)).Items.Select(m => m.Id));
        Assert.Equal([kept.Id], (await store.ListAsync(CaptureScope.Everyone, null, 10, default)).Items.Select(m => m.Id));

        Assert.True(await store.DeleteAsync(CaptureScope.Everyone, kept.Id, default));
        Assert.Empty((await store.ListAsync(CaptureScope.Of("acct"), null, 10, default)).Items);
    }

    [Fact]
    public async Task Clearing_an_account_leaves_the_others_and_clearing_everyone_leaves_nothing()
    {
        var store = Create();
        await StoreAsync(store, "a", T0, "a1");
        await StoreAsync(store, "a", T0.AddSeconds(1), "a2");
        var theirs = await StoreAsync(store, "b", T0.AddSeconds(2), "b1");

        Assert.Equal(2, await store.ClearAsync(CaptureScope.Of("a"), default));
        Assert.Empty((await store.ListAsync(CaptureScope.Of("a"), null, 10, default)).Items);
        Assert.Equal([theirs.Id], (await store.ListAsync(CaptureScope.Everyone, null, 10, default)).Items.Select(m => m.Id));

        await StoreAsync(store, "a", T0.AddSeconds(3), "a3");
        Assert.Equal(2, await store.ClearAsync(CaptureScope.Everyone, default));
        Assert.Empty((await store.ListAsync(CaptureScope.Everyone, null, 10, default)).Items);
        Assert.Empty((await store.ListAsync(CaptureScope.Of("b"), null, 10, default)).Items);
        Assert.Null(await store.GetRawAsync(CaptureScope.Everyone, theirs.Id, default));
        Assert.Equal(0, await store.ClearAsync(CaptureScope.Everyone, default));
    }
}
