using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// The Hangfire dashboard's stats endpoint, on both storages (each has its own monitoring API).
/// A GET used to make Hangfire read a form that was not there and answer 500.
/// </summary>
public abstract partial class DashboardStatsTests : IAsyncLifetime
{
    private StorageUnderTest _storage = null!;
    private SendApiApp _app = null!;

    protected abstract bool OnRedis { get; }

    public async Task InitializeAsync()
    {
        _storage = await StorageUnderTest.StartAsync(OnRedis);
        _app = new SendApiApp(_storage.Settings());
        _app.Client();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _storage.DisposeAsync();
    }

    /// <summary>An operator's browser: Basic authentication with an admin key, and cookies (the antiforgery one).</summary>
    private HttpClient Operator()
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{_app.HttpPort}"),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("op:" + SendApiApp.AdminKey)));
        return client;
    }

    [GeneratedRegex("""<meta name="csrf-(?<name>header|token)" content="(?<value>[^"]*)">""", RegexOptions.NonBacktracking)]
    private static partial Regex CsrfMeta();

    [Fact]
    public async Task Get_stats_answers_every_metric_as_json()
    {
        using var client = Operator();
        var response = await client.GetAsync("/hangfire/stats");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var stats = JsonNode.Parse(body)!.AsObject();
        Assert.True((int)stats["servers:count"]!["intValue"]! >= 1);
        Assert.Contains("scheduled:count", stats.Select(s => s.Key));
        Assert.Contains("succeeded:count", stats.Select(s => s.Key));
    }

    [Fact]
    public async Task The_dashboards_own_polling_still_works_and_still_needs_its_antiforgery_token()
    {
        using var client = Operator();
        var page = await client.GetStringAsync("/hangfire");
        var meta = CsrfMeta().Matches(page).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        Assert.Contains("data-pollurl=\"/hangfire/stats\"", page);

        using var poll = new HttpRequestMessage(HttpMethod.Post, "/hangfire/stats")
        {
            Content = new FormUrlEncodedContent([new("metrics[]", "servers:count"), new("metrics[]", "retries:count")]),
        };
        poll.Headers.Add(meta["header"], meta["token"]);
        var response = await client.SendAsync(poll);
        var stats = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["retries:count", "servers:count"], stats.Select(s => s.Key).Order(StringComparer.Ordinal));

        var forged = await client.PostAsync("/hangfire/stats", new FormUrlEncodedContent([new("metrics[]", "servers:count")]));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
    }

    [Fact]
    public async Task Stats_need_an_admin_key_like_the_rest_of_the_dashboard()
    {
        var anonymous = await _app.Client(apiKey: null).GetAsync("/hangfire/stats");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("servers:count", await anonymous.Content.ReadAsStringAsync());
    }
}

public sealed class EmbeddedDashboardStatsTests : DashboardStatsTests
{
    protected override bool OnRedis => false;
}

public sealed class RedisDashboardStatsTests : DashboardStatsTests
{
    protected override bool OnRedis => true;
}
