using SendApi.Core.Templates;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about templates (the rules on <see cref="ITemplateStore"/>).</summary>
public abstract class TemplateStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    protected abstract ITemplateStore CreateStore();

    private static StoredTemplate Template(string name, string text, int minutes = 0) =>
        new(name, 0, "Subject", "<p>" + text + "</p>", text, null, T0.AddMinutes(minutes));

    [Fact]
    public async Task Versions_count_from_one_each_stays_as_written_and_the_latest_is_the_default()
    {
        var store = CreateStore();

        var first = await store.CreateAsync("shop", Template("welcome", "one"), default);
        var second = await store.AddVersionAsync("shop", Template("welcome", "two", 1) with { Layout = "frame" }, default);

        Assert.Equal((1, 2), (first!.Version, second!.Version));
        Assert.Equal(Template("welcome", "one") with { Version = 1 }, await store.FindAsync("shop", "welcome", 1, default));
        Assert.Equal(Template("welcome", "two", 1) with { Version = 2, Layout = "frame" }, await store.FindAsync("shop", "welcome", null, default));
        Assert.Null(await store.FindAsync("shop", "welcome", 3, default));
        Assert.Null(await store.FindAsync("other", "welcome", null, default));
    }

    [Fact]
    public async Task A_name_is_created_once_per_account_and_only_an_existing_template_gets_versions()
    {
        var store = CreateStore();

        Assert.NotNull(await store.CreateAsync("shop", Template("t", "a"), default));
        Assert.Null(await store.CreateAsync("shop", Template("t", "b"), default));
        Assert.NotNull(await store.CreateAsync("other", Template("t", "c"), default));
        Assert.Null(await store.AddVersionAsync("shop", Template("missing", "x"), default));

        Assert.Equal("a", (await store.FindAsync("shop", "t", null, default))!.Text);
    }

    [Fact]
    public async Task Concurrent_updates_get_distinct_versions()
    {
        var store = CreateStore();
        await store.CreateAsync("shop", Template("t", "v1"), default);

        var added = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => store.AddVersionAsync("shop", Template("t", $"u{i}"), default)));

        Assert.Equal(Enumerable.Range(2, 20), added.Select(t => t!.Version).Order());
        Assert.Equal(21, (await store.FindAsync("shop", "t", null, default))!.Version);
    }

    [Fact]
    public async Task Deleting_removes_every_version_and_a_new_template_of_the_name_starts_at_one()
    {
        var store = CreateStore();
        await store.CreateAsync("shop", Template("t", "v1"), default);
        await store.AddVersionAsync("shop", Template("t", "v2"), default);

        Assert.True(await store.DeleteAsync("shop", "t", default));
        Assert.False(await store.DeleteAsync("shop", "t", default));

        Assert.Null(await store.FindAsync("shop", "t", 1, default));
        Assert.Null(await store.FindAsync("shop", "t", 2, default));
        Assert.Empty((await store.ListAsync("shop", null, 10, default)).Items);
        Assert.Equal(1, (await store.CreateAsync("shop", Template("t", "again"), default))!.Version);
        Assert.Null(await store.FindAsync("shop", "t", 2, default));
    }

    [Fact]
    public async Task Lists_page_by_name_in_ordinal_order_with_each_latest_version()
    {
        var store = CreateStore();
        foreach (var name in new[] { "b", "A", "c", "a" })
        {
            await store.CreateAsync("shop", Template(name, name), default);
        }

        await store.AddVersionAsync("shop", Template("b", "b2"), default);

        var first = await store.ListAsync("shop", null, 3, default);
        var rest = await store.ListAsync("shop", first.NextCursor, 3, default);

        Assert.Equal(["A", "a", "b"], first.Items.Select(t => t.Name));
        Assert.Equal(2, first.Items[2].Version);
        Assert.Equal("a", first.NextCursor is null ? null : first.Items[1].Name);
        Assert.Equal(["c"], rest.Items.Select(t => t.Name));
        Assert.Null(rest.NextCursor);
    }
}
