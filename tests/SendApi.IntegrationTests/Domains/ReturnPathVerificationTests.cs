using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using static SendApi.IntegrationTests.Harness.DomainsTestKit;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// Domain verification with <c>Delivery:ReturnPathDomain</c> set: MAIL FROM is then the operator's
/// return-path domain, so SPF is checked there (not on the sender domain) and so is the MX that
/// brings bounces back to SendApi. dnsmasq serves the records right, then wrong, then not at all
/// (one server after another on the application's DNS port).
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed class ReturnPathVerificationTests : IAsyncLifetime
{
    private const string ReturnPathDomain = "bounces.sendapi.test";

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

    [Fact]
    public async Task Spf_and_the_return_path_mx_are_checked_on_the_return_path_domain_right_wrong_and_missing()
    {
        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Dns:Timeout"] = "2s",
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ReturnPathDomain"] = ReturnPathDomain,
        });
        var shop = _app.Client(await _app.CreateKeyAsync("verify-return-path"));
        var registered = await shop.RegisterDomainAsync("rp-shop.test");
        var dkim = DomainsTestKit.DkimRecord(registered);

        // What POST /domains asks for: SPF and MX at the return-path domain, pointing at Delivery:HeloName.
        Assert.Equal(["dkim", "spf", "return_path_mx", "dmarc"], registered["dns_records"]!.AsArray().Select(r => (string)r!["purpose"]!));
        Assert.Equal((ReturnPathDomain, "TXT", "v=spf1 include:spf.sendapi.test ~all"),
            ((string)DnsRecord(registered, "spf")["name"]!, (string)DnsRecord(registered, "spf")["type"]!, (string)DnsRecord(registered, "spf")["value"]!));
        Assert.Equal((ReturnPathDomain, "MX", "10 sendapi.test"),
            ((string)DnsRecord(registered, "return_path_mx")["name"]!, (string)DnsRecord(registered, "return_path_mx")["type"]!, (string)DnsRecord(registered, "return_path_mx")["value"]!));

        // Right. The sender domain's own SPF lacks the include: with a return-path domain it does not matter.
        await _dns.ServeAsync(zone => zone
            .Txt(dkim.Name, dkim.Value).Txt("_dmarc.rp-shop.test", "v=DMARC1; p=none").Txt("rp-shop.test", "v=spf1 -all")
            .Txt(ReturnPathDomain, "v=spf1 include:spf.sendapi.test -all").Mx(ReturnPathDomain, "sendapi.test", 10).Mx(ReturnPathDomain, "backup.sendapi.test", 20));
        var right = await shop.VerifyDomainAsync("rp-shop.test");
        Assert.Equal("verified", (string?)right["status"]);
        Assert.All(right["dns_records"]!.AsArray(), r => Assert.Equal("verified", (string?)r!["status"]));
        Assert.Equal(["v=spf1 include:spf.sendapi.test -all"], DnsRecord(right, "spf")["found"]!.AsArray().Select(f => (string)f!));
        Assert.Equal(["backup.sendapi.test", "sendapi.test"], DnsRecord(right, "return_path_mx")["found"]!.AsArray().Select(f => (string)f!).Order(StringComparer.Ordinal));

        // Wrong: an SPF record without the include, and bounces sent to another host.
        await _dns.ServeAsync(zone => zone
            .Txt(dkim.Name, dkim.Value).Txt("_dmarc.rp-shop.test", "v=DMARC1; p=none").Txt("rp-shop.test", "v=spf1 include:spf.sendapi.test ~all")
            .Txt(ReturnPathDomain, "v=spf1 a:mail.sendapi.test -all").Mx(ReturnPathDomain, "mx.elsewhere.test", 10));
        var wrong = await shop.VerifyDomainAsync("rp-shop.test");
        Assert.Equal("unverified", (string?)wrong["status"]);
        Assert.Equal("verified", (string?)DnsRecord(wrong, "dkim")["status"]);
        Assert.Equal("mismatch", (string?)DnsRecord(wrong, "spf")["status"]);
        Assert.Equal("v=spf1 a:mail.sendapi.test -all", (string?)DnsRecord(wrong, "spf")["found"]![0]);
        Assert.Contains("include:spf.sendapi.test", (string?)DnsRecord(wrong, "spf")["detail"]);
        Assert.Equal("mismatch", (string?)DnsRecord(wrong, "return_path_mx")["status"]);
        Assert.Equal("mx.elsewhere.test", (string?)DnsRecord(wrong, "return_path_mx")["found"]![0]);
        Assert.Contains("sendapi.test", (string?)DnsRecord(wrong, "return_path_mx")["detail"]);

        // Missing: nothing at the return-path domain.
        await _dns.ServeAsync(zone => zone.Txt(dkim.Name, dkim.Value).Txt("_dmarc.rp-shop.test", "v=DMARC1; p=none"));
        var missing = await shop.VerifyDomainAsync("rp-shop.test");
        Assert.Equal("unverified", (string?)missing["status"]);
        Assert.Equal("missing", (string?)DnsRecord(missing, "spf")["status"]);
        Assert.Equal("missing", (string?)DnsRecord(missing, "return_path_mx")["status"]);
        Assert.Contains("bounces", (string?)DnsRecord(missing, "return_path_mx")["detail"]);
        Assert.Equal("verified", (string?)DnsRecord(missing, "dmarc")["status"]);

        // Mail from it now carries a warning naming the return-path records.
        var sent = await shop.GetMessageAsync(await shop.SendAsync(new { from = "orders@rp-shop.test", to = new[] { "bob@example.test" }, subject = "s", text = "t" }));
        var warning = (string?)Assert.Single(sent["events"]!.AsArray(), e => (string?)e!["type"] == "warning")!["detail"];
        Assert.Contains($"SPF TXT {ReturnPathDomain} is missing", warning);
        Assert.Contains($"return-path MX {ReturnPathDomain} is missing", warning);
    }
}
