using System.Net;
using Microsoft.Extensions.Options;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Watching;

/// <summary>Who may read /metrics, and where it is.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_need_an_admin_key_by_default()
    {
        await using var app = new SendApiApp(new Dictionary<string, string?>());
        using var anonymous = app.Client(apiKey: null);
        using var admin = app.Client();
        var accountKey = await app.CreateKeyAsync("shop");
        using var account = app.Client(accountKey);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await account.GetAsync("/metrics")).StatusCode);
        var scrape = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("sendapi_queue_depth", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_open_to_anyone_only_with_AllowAnonymous_and_move_with_Path()
    {
        await using var app = new SendApiApp(new Dictionary<string, string?> { ["Metrics:AllowAnonymous"] = "true", ["Metrics:Path"] = "/internal/prometheus" });
        using var anonymous = app.Client(apiKey: null);

        var scrape = await anonymous.GetAsync("/internal/prometheus");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Theory]
    [InlineData("Metrics:Path", "metrics", "Metrics__Path")]
    [InlineData("Metrics:MaxDomains", "-1", "Metrics__MaxDomains")]
    [InlineData("Metrics:Domains:0", "not a domain", "Metrics__Domains")]
    public async Task A_bad_metrics_setting_stops_the_start_naming_it(string key, string value, string variable)
    {
        await using var app = new SendApiApp(new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<OptionsValidationException>(() => app.Client());
        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
    }
}
