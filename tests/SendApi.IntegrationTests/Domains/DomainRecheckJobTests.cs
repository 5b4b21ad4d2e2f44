using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Domains.Verification;
using SendApi.Core.Domains;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// One run of the periodic re-check (<see cref="DomainRecheckJob.RunAsync"/>) against dnsmasq: it
/// checks again a domain whose last check is a <c>Domains:VerifyInterval</c> old and leaves a
/// freshly checked one alone. The job is built from the application's own store, resolver and
/// options, on a <see cref="FakeTimeProvider"/> so the hour passes without waiting; what it stored
/// is read back through <c>GET /domains/{name}</c>.
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed class DomainRecheckJobTests : IAsyncLifetime
{
    private readonly DnsOnOnePort _dns = new();
    private SendApiApp? _app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _dns.DisposeAsync();
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string name) => JsonNode.Parse(await client.GetStringAsync($"/domains/{name}"))!;

    private static string Status(JsonNode domain, string purpose) =>
        (string)domain["dns_records"]!.AsArray().Single(r => (string?)r!["purpose"] == purpose)!["status"]!;

    [Fact]
    public async Task A_run_checks_again_a_domain_checked_an_interval_ago_and_skips_one_checked_since()
    {
        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Dns:Timeout"] = "2s",
            ["Delivery:HeloName"] = "sendapi.test",
            ["Domains:VerifyInterval"] = "1h",
        },
        // Hangfire's own schedule would run the job on the real clock beside this one: left out.
        services: s => s.Remove(s.Single(d => d.ImplementationType == typeof(DomainRecheckSchedule))));
        var shop = _app.Client(await _app.CreateKeyAsync("recheck-shop"));
        var stale = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("stale.test"));
        var fresh = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("fresh.test"));
        await _dns.ServeAsync(zone => zone
            .Txt(stale.Name, stale.Value).Txt("stale.test", "v=spf1 include:spf.sendapi.test ~all").Txt("_dmarc.stale.test", "v=DMARC1; p=none")
            .Txt(fresh.Name, fresh.Value).Txt("fresh.test", "v=spf1 include:spf.sendapi.test ~all").Txt("_dmarc.fresh.test", "v=DMARC1; p=none"));

        var services = _app.Services;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domains = services.GetRequiredService<IDomainStore>();
        var options = services.GetRequiredService<IOptions<DomainsOptions>>();
        var verifier = new DomainVerifier(domains, services.GetRequiredService<DnsRecordChecker>(), services.GetRequiredService<SenderDomainStanding>(),
            options, time, NullLogger<DomainVerifier>.Instance);
        var job = new DomainRecheckJob(domains, verifier, options, time, NullLogger<DomainRecheckJob>.Instance);
        var start = time.GetUtcNow();

        // Never checked: both are checked, and verified.
        Assert.Equal(2, await job.RunAsync(default));
        Assert.Equal("verified", (string?)(await GetAsync(shop, "stale.test"))["status"]);
        Assert.Equal("verified", (string?)(await GetAsync(shop, "fresh.test"))["status"]);

        // fresh.test is checked again 50 minutes later (as POST /domains/fresh.test/verify would);
        // then both domains' DKIM records are taken down.
        time.Advance(TimeSpan.FromMinutes(50));
        await verifier.VerifyAsync((await domains.FindAsync("recheck-shop", "fresh.test", default))!, default);
        await _dns.ServeAsync(zone => zone
            .Txt("stale.test", "v=spf1 include:spf.sendapi.test ~all").Txt("_dmarc.stale.test", "v=DMARC1; p=none")
            .Txt("fresh.test", "v=spf1 include:spf.sendapi.test ~all").Txt("_dmarc.fresh.test", "v=DMARC1; p=none"));
        time.Advance(TimeSpan.FromMinutes(10));

        // An hour after the first run: stale.test is due, fresh.test (10 minutes old) is not.
        Assert.Equal(1, await job.RunAsync(default));

        var staleNow = await GetAsync(shop, "stale.test");
        Assert.Equal("unverified", (string?)staleNow["status"]);
        Assert.Equal("missing", Status(staleNow, "dkim"));
        Assert.Equal(start.AddHours(1), (DateTimeOffset)staleNow["checked_at"]!);
        var freshNow = await GetAsync(shop, "fresh.test");
        Assert.Equal("verified", (string?)freshNow["status"]);
        Assert.Equal(start.AddMinutes(50), (DateTimeOffset)freshNow["checked_at"]!);
        Assert.Equal(1, await _dns.Current!.WaitForQueriesAsync("TXT", stale.Name, 1));
        Assert.Equal(0, _dns.Current.Queries("TXT", fresh.Name));

        // Once its interval has passed too, fresh.test is checked again and found broken as well.
        time.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(1, await job.RunAsync(default));
        Assert.Equal("missing", Status(await GetAsync(shop, "fresh.test"), "dkim"));
    }
}
