using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Inbound;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// <c>GET /messages</c> (search) and <c>GET /stats</c> as a client sees them, after real deliveries
/// to the loopback MX hosts and a real DSN on port 25, on both storage modes.
/// </summary>
public abstract class SearchAndStatsApiTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const string ReturnPathDomain = "bounces.sendapi.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Delivery:ReturnPathDomain"] = ReturnPathDomain;
        settings["Delivery:RetrySchedule"] = "1s";
    }

    private static async Task<JsonNode> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<List<string>> IdsAsync(HttpClient http, string query) =>
        [.. (await OkAsync(await http.GetAsync("/messages" + query)))["data"]!.AsArray().Select(m => (string)m!["id"]!)];

    [Fact]
    public async Task A_scripted_mix_of_delivered_retried_failed_and_bounced_mail_shows_in_search_and_stats()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var delivered = await Http.SendAsync(new { from = "orders@acme.test", to = new[] { $"ann-{run}@example.test" }, subject = "one", text = "x", tags = new[] { "mix" } });
        var retried = await Http.SendAsync(new { from = "orders@acme.test", to = new[] { $"defer-once-{run}@example.test" }, subject = "two", text = "x", tags = new[] { "mix" } });
        var failed = await Http.SendAsync(new { from = "news@acme.test", to = new[] { $"nobody-{run}@rejecting.test" }, subject = "three", text = "x" });
        await Http.WaitForStatusAsync(delivered, Patience, "delivered");
        await Http.WaitForStatusAsync(retried, Patience, "delivered");
        await Http.WaitForStatusAsync(failed, Patience, "failed");
        var bounced = await InboundSmtp.SendAndDeliverAsync(Http, World, "carol", "orders@acme.test", "four", "x");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", bounced.ReturnPath, bounced.MessageIdHeader, "carol@example.org", bounced.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(App.InboundPort, "", bounced.ReturnPath, dsn));

        // Search: newest first, each filter, and the status each message has now.
        Assert.Equal([bounced.Id, failed, retried, delivered], await IdsAsync(Http, ""));
        Assert.Equal([bounced.Id], await IdsAsync(Http, "?status=bounced"));
        Assert.Equal([retried, delivered], await IdsAsync(Http, "?status=delivered"));
        Assert.Equal([failed], await IdsAsync(Http, "?status=failed"));
        Assert.Equal([retried, delivered], await IdsAsync(Http, "?tag=mix"));
        Assert.Equal([retried], await IdsAsync(Http, $"?tag=mix&recipient=DEFER-ONCE-{run}@example.test"));
        Assert.Equal([failed], await IdsAsync(Http, "?from=news@acme.test"));
        Assert.Empty(await IdsAsync(Http, "?from=news@acme.test&status=delivered"));
        var summary = (await OkAsync(await Http.GetAsync("/messages?status=failed")))["data"]![0]!;
        Assert.Equal("three", (string?)summary["subject"]);
        Assert.Equal("news@acme.test", (string?)summary["from"]);
        Assert.Equal([$"nobody-{run}@rejecting.test"], summary["to"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("failed", (string?)summary["status"]);

        // Stats: per recipient, in this hour (one or two hours if the run crossed one).
        var stats = await OkAsync(await Http.GetAsync("/stats?interval=hour"));
        var totals = stats["totals"]!;
        Assert.Equal(4, (long?)totals["queued"]);
        Assert.Equal(3, (long?)totals["delivered"]);
        Assert.Equal(1, (long?)totals["deferred"]);
        Assert.Equal(1, (long?)totals["failed"]);
        Assert.Equal(1, (long?)totals["bounced"]);
        Assert.Equal(0, (long?)totals["complained"]);
        Assert.Equal(3, (long?)totals["delivery_latency"]!["count"]);
        Assert.True((long?)totals["delivery_latency"]!["p99_ms"] >= (long?)totals["delivery_latency"]!["p50_ms"]);
        Assert.Equal(24, stats["data"]!.AsArray().Count);
        Assert.Equal(4, stats["data"]!.AsArray().Sum(h => (long)h!["queued"]!));

        var mix = (await OkAsync(await Http.GetAsync("/stats?tag=mix&interval=day")))["totals"]!;
        Assert.Equal((2L, 2L, 1L, 0L), ((long)mix["queued"]!, (long)mix["delivered"]!, (long)mix["deferred"]!, (long)mix["failed"]!));
        var rejecting = (await OkAsync(await Http.GetAsync("/stats?domain=Rejecting.test")))["totals"]!;
        Assert.Equal((1L, 0L, 1L), ((long)rejecting["queued"]!, (long)rejecting["delivered"]!, (long)rejecting["failed"]!));
        Assert.Null(rejecting["delivery_latency"]!["p50_ms"]);
    }

    [Fact]
    public async Task Pages_follow_the_cursor_to_the_last_page_whose_next_cursor_is_null()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Http.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nullmx.test" }, subject = $"page {i}", text = "x" }));
        }

        var seen = new List<(string Id, DateTimeOffset CreatedAt)>();
        string? cursor = null;
        do
        {
            var page = await OkAsync(await Http.GetAsync("/messages?limit=2" + (cursor is null ? "" : $"&cursor={cursor}")));
            Assert.True(page.AsObject().ContainsKey("next_cursor"));
            seen.AddRange(page["data"]!.AsArray().Select(m => ((string)m!["id"]!, DateTimeOffset.Parse((string)m["created_at"]!, CultureInfo.InvariantCulture))));
            cursor = (string?)page["next_cursor"];
        }
        while (cursor is not null && seen.Count < 10);

        // Every message exactly once, newest first. Two accepted within one millisecond have no
        // order of their own: the listing breaks the tie by id, so the test does too.
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Select(m => m.Id).Order(StringComparer.Ordinal));
        var newestFirst = seen.OrderByDescending(m => m.CreatedAt.ToUnixTimeMilliseconds()).ThenByDescending(m => m.Id, StringComparer.Ordinal);
        Assert.Equal(newestFirst.Select(m => m.Id), seen.Select(m => m.Id));
    }

    [Fact]
    public async Task One_account_never_sees_another_accounts_messages_or_counts()
    {
        var created = await OkOrCreatedAsync(await Http.PostAsJsonAsync("/api-keys", new { name = "shop", account_id = "shop" }));
        using var shop = App.Client((string)created["key"]!);
        var theirs = await shop.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nullmx.test" }, subject = "shop", text = "x", tags = new[] { "t" } });
        var mine = await Http.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nullmx.test" }, subject = "admin", text = "x", tags = new[] { "t" } });

        Assert.Equal([mine], await IdsAsync(Http, "?recipient=bob@nullmx.test&tag=t"));
        Assert.Equal([theirs], await IdsAsync(shop, "?recipient=bob@nullmx.test&tag=t"));
        Assert.Equal([theirs], await IdsAsync(shop, ""));
        Assert.Equal(1, (long?)(await OkAsync(await shop.GetAsync("/stats?tag=t")))["totals"]!["queued"]);
        Assert.Equal(1, (long?)(await OkAsync(await Http.GetAsync("/stats?tag=t")))["totals"]!["queued"]);
    }

    [Theory]
    [InlineData("/messages?status=lost", "status")]
    [InlineData("/messages?limit=0", "limit")]
    [InlineData("/messages?limit=501", "limit")]
    [InlineData("/messages?limit=ten", "limit")]
    [InlineData("/messages?since=yesterday", "since")]
    [InlineData("/messages?until=2026-13-45T00:00:00Z", "until")]
    [InlineData("/messages?since=2026-11-22T10:00:00Z&until=2026-11-22T09:00:00Z", "until")]
    [InlineData("/messages?cursor=abc", "cursor")]
    [InlineData("/messages?cursor=0000018c3f2a1b00000000000000000000000000000000GG", "cursor")]
    [InlineData("/messages?recipient=not-an-address", "recipient")]
    [InlineData("/messages?from=a@b@c", "from")]
    [InlineData("/messages?tag=white%20space", "tag")]
    [InlineData("/stats?interval=week", "interval")]
    [InlineData("/stats?since=soon", "since")]
    [InlineData("/stats?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z", "since")]
    [InlineData("/stats?since=2026-11-22T10:00:00Z&until=2026-11-22T09:00:00Z", "until")]
    [InlineData("/stats?tag=a&domain=example.test", "domain")]
    [InlineData("/stats?domain=a%7Cb", "domain")]
    [InlineData("/stats?tag=%00", "tag")]
    public async Task Bad_query_values_are_400_problems_naming_the_field(string query, string field)
    {
        var response = await Http.GetAsync(query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query} answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal([field], JsonNode.Parse(body)!["errors"]!.AsObject().Select(e => e.Key));
    }

    private static async Task<JsonNode> OkOrCreatedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }
}

public sealed class EmbeddedSearchAndStatsApiTests(DeliveryWorld world) : SearchAndStatsApiTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisSearchAndStatsApiTests(DeliveryWorld world) : SearchAndStatsApiTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
