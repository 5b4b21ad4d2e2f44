using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using static SendApi.IntegrationTests.ApiKeys.ApiKeysTestKit;

namespace SendApi.IntegrationTests.ApiKeys;

/// <summary>
/// The per-key rate limit on real Kestrel and the real SMTP listener, on both storage modes. The
/// window is an hour so that none of these tests crosses a window boundary, and no test waits
/// for one: what a boundary does is the unit tests' (with a controlled clock).
/// </summary>
public abstract class RateLimitTests(DeliveryWorld world) : OnBothStorages(world)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Smtp:AllowInsecureAuth"] = "true";
        settings["ApiKeys:RateLimitWindow"] = "1h";
    }

    [Fact]
    public async Task Over_its_rate_a_key_gets_a_429_problem_with_Retry_After_and_the_RateLimit_fields()
    {
        var key = await App.CreateKeyAsync(new { name = "limited", rate_limit = 3 });
        var client = App.ClientOf(key);

        var allowed = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            allowed.Add(await client.GetAsync("/messages"));
        }

        var refused = await client.PostAsJsonAsync("/messages", Mail("orders@acme.test", Unique("bob")));

        Assert.All(allowed, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(["\"per-key\";q=3;w=3600"], allowed[0].Headers.GetValues("RateLimit-Policy"));
        Assert.Equal(["r=2", "r=1", "r=0"], allowed.Select(r => RateLimitPart(r, "r")));
        var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("Rate limit exceeded.", (string?)problem["title"]);
        Assert.Equal(["\"per-key\";q=3;w=3600"], refused.Headers.GetValues("RateLimit-Policy"));
        Assert.Equal("r=0", RateLimitPart(refused, "r"));
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.Equal($"t={(long)retryAfter.Value.TotalSeconds}", RateLimitPart(refused, "t"));

        // Nothing was sent, and another key of the same account has its own budget.
        var other = App.ClientOf(await App.CreateKeyAsync(new { name = "other", rate_limit = 3 }));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/messages")).StatusCode);
    }

    [Fact]
    public async Task A_key_without_its_own_limit_takes_ApiKeys_RateLimit_and_admin_keys_are_never_limited()
    {
        var key = await App.CreateKeyAsync(new { name = "default" });
        using var response = await App.ClientOf(key).GetAsync("/messages");
        using var admin = await App.Client().GetAsync("/messages");

        Assert.Equal(["\"per-key\";q=1200;w=3600"], response.Headers.GetValues("RateLimit-Policy"));
        Assert.False(admin.Headers.Contains("RateLimit-Policy"));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task Over_its_rate_a_key_gets_451_4_7_0_over_SMTP_and_HTTP_and_SMTP_share_one_budget()
    {
        var key = await App.CreateKeyAsync(new { name = "smtp-limited", rate_limit = 3 });
        var secret = (string)key["key"]!;
        Assert.Equal(HttpStatusCode.OK, (await App.Client(secret).GetAsync("/messages")).StatusCode);
        var (tcp, smtp) = await App.RawSubmissionAsync(secret);
        using var connection = tcp;

        var first = await smtp.SendAsync("orders@acme.test", "orders@acme.test", Unique("bob"));
        var second = await smtp.SendAsync("orders@acme.test", "orders@acme.test", Unique("bob"));
        var over = await smtp.CommandAsync("MAIL FROM:<orders@acme.test>", "451");

        Assert.StartsWith("250 2.0.0 ", first);
        Assert.StartsWith("250 2.0.0 ", second);
        Assert.StartsWith("451 4.7.0 ", over);
        Assert.Contains("rate limit", over, StringComparison.OrdinalIgnoreCase);
        await AssertProblemAsync(await App.Client(secret).GetAsync("/messages"), HttpStatusCode.TooManyRequests);
    }

    /// <summary>One parameter of the RateLimit field, e.g. "r=2".</summary>
    internal static string RateLimitPart(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.GetValues("RateLimit")).Split(';').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal));
}

public sealed class EmbeddedRateLimitTests(DeliveryWorld world) : RateLimitTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisRateLimitTests(DeliveryWorld world) : RateLimitTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}

/// <summary>The case: on one Redis, a key's limit holds across every instance, not once per instance.</summary>
public sealed class SharedRateLimitTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task Two_instances_on_one_redis_share_a_key_s_budget_so_it_is_refused_on_both_once_spent()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = world.Settings(new()
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["ApiKeys:RateLimitWindow"] = "1h",
        });
        await using var first = new SendApiApp(settings);
        await using var second = new SendApiApp(settings);
        var key = await first.CreateKeyAsync(new { name = "shared", rate_limit = 4 });
        var onFirst = first.ClientOf(key);
        var onSecond = second.ClientOf(key);

        // Per process, each instance would allow 4; together they allow 4.
        var answers = new List<HttpResponseMessage>();
        foreach (var client in new[] { onFirst, onSecond, onFirst, onSecond, onFirst, onSecond })
        {
            answers.Add(await client.GetAsync("/messages"));
        }

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            answers.Select(a => a.StatusCode));
        Assert.Equal(["r=3", "r=2", "r=1", "r=0"], answers.Take(4).Select(a => RateLimitTests.RateLimitPart(a, "r")));
        var problem = JsonNode.Parse(await answers[5].Content.ReadAsStringAsync())!;
        Assert.Equal(429, (int)problem["status"]!);
        Assert.NotNull(answers[5].Headers.RetryAfter?.Delta);
    }
}
