using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.Storage;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using static SendApi.IntegrationTests.Harness.DomainsTestKit;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// Domain verification against a real DNS server (dnsmasq) serving right, wrong and missing
/// records, and one whose DMARC name answers SERVFAIL. The DKIM key is made at registration, so
/// the application is pointed at a port first and dnsmasq started there once the records are known.
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed class DomainVerificationTests : IAsyncLifetime
{
    private readonly DnsOnOnePort _dns = new();
    private readonly BrokenNameServer _servfail = BrokenNameServer.Servfail();
    private SendApiApp? _app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _dns.DisposeAsync();

        await _servfail.DisposeAsync();
    }

    private SendApiApp App(bool requireVerified = false) => _app = new SendApiApp(new Dictionary<string, string?>
    {
        ["Dns:Servers"] = _dns.Server,
        ["Dns:Timeout"] = "2s",
        ["Delivery:HeloName"] = "sendapi.test",
        ["Domains:RequireVerified"] = requireVerified ? "true" : "false",
    });

    [Fact]
    public async Task The_periodic_re_check_is_on_hangfires_recurring_schedule_once_the_service_runs()
    {
        var app = App();
        await app.Client(SendApiApp.AdminKey).GetAsync("/health/ready");
        var storage = app.Services.GetRequiredService<JobStorage>();

        // Written in the background (a slow store must not stop the start), so it is looked for a while.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        RecurringJobDto? recheck = null;
        while (recheck is null && DateTime.UtcNow < deadline)
        {
            using (var connection = storage.GetConnection())
            {
                recheck = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == "domains-verify");
            }

            if (recheck is null)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(recheck);
        Assert.Equal("*/15 * * * *", recheck.Cron);
    }

    [Fact]
    public async Task Each_record_is_verified_missing_mismatch_or_error_as_dns_answers_and_get_shows_it()
    {
        var app = App();
        var shop = app.Client(await app.CreateKeyAsync("verify-shop"));
        var right = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("right.test"));
        var wrong = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("wrong.test"));
        await shop.RegisterDomainAsync("missing.test");
        var flaky = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("flaky.test"));
        await _dns.ServeAsync(zone => zone
            .Txt(right.Name, right.Value).Txt("right.test", "v=spf1 include:spf.sendapi.test ~all").Txt("_dmarc.right.test", "v=DMARC1; p=none")
            // Another domain's key, an SPF record without our include, and two DMARC records.
            .Txt(wrong.Name, right.Value).Txt("wrong.test", "v=spf1 include:other.test -all")
            .Txt("_dmarc.wrong.test", "v=DMARC1; p=none").Txt("_dmarc.wrong.test", "v=DMARC1; p=reject")
            .Txt(flaky.Name, flaky.Value).Txt("flaky.test", "v=spf1 include:spf.sendapi.test ~all").Forward("_dmarc.flaky.test", _servfail.EndPoint));

        var verified = await shop.VerifyDomainAsync("right.test");
        Assert.Equal("verified", (string?)verified["status"]);
        Assert.All(verified["dns_records"]!.AsArray(), r => Assert.Equal("verified", (string?)r!["status"]));
        Assert.Equal(["dkim", "spf", "dmarc"], verified["dns_records"]!.AsArray().Select(r => (string)r!["purpose"]!));
        Assert.Equal("v=DMARC1; p=none", (string?)DnsRecord(verified, "dmarc")["found"]![0]);

        var mismatched = await shop.VerifyDomainAsync("wrong.test");
        Assert.Equal("unverified", (string?)mismatched["status"]);
        Assert.Equal("mismatch", (string?)DnsRecord(mismatched, "dkim")["status"]);
        Assert.Equal(right.Value, (string?)DnsRecord(mismatched, "dkim")["found"]![0]);
        Assert.Equal("mismatch", (string?)DnsRecord(mismatched, "spf")["status"]);
        Assert.Equal("v=spf1 include:other.test -all", (string?)DnsRecord(mismatched, "spf")["found"]![0]);
        Assert.Contains("include:spf.sendapi.test", (string?)DnsRecord(mismatched, "spf")["detail"]);
        Assert.Equal("mismatch", (string?)DnsRecord(mismatched, "dmarc")["status"]);

        var missing = await shop.VerifyDomainAsync("missing.test");
        Assert.Equal("unverified", (string?)missing["status"]);
        Assert.All(missing["dns_records"]!.AsArray(), r => Assert.Equal("missing", (string?)r!["status"]));

        var failing = await shop.VerifyDomainAsync("flaky.test");
        Assert.Equal("verified", (string?)DnsRecord(failing, "dkim")["status"]);
        Assert.Equal("error", (string?)DnsRecord(failing, "dmarc")["status"]);
        Assert.Contains("ServerFailure", (string?)DnsRecord(failing, "dmarc")["detail"]);
        Assert.Equal("unverified", (string?)failing["status"]);

        // GET and the list show the stored check, with when it was made.
        var stored = JsonNode.Parse(await shop.GetStringAsync("/domains/wrong.test"))!;
        Assert.Equal(mismatched.ToJsonString(), stored.ToJsonString());
        Assert.NotNull((DateTimeOffset?)stored["checked_at"]);
        var list = JsonNode.Parse(await shop.GetStringAsync("/domains?limit=2"))!;
        Assert.Equal(["right.test", "wrong.test"], list["data"]!.AsArray().Select(d => (string)d!["name"]!));
        var rest = JsonNode.Parse(await shop.GetStringAsync($"/domains?limit=2&cursor={Uri.EscapeDataString((string)list["next_cursor"]!)}"))!;
        Assert.Equal(["missing.test", "flaky.test"], rest["data"]!.AsArray().Select(d => (string)d!["name"]!));
        Assert.Null(rest["next_cursor"]);
        Assert.True(rest.AsObject().ContainsKey("next_cursor"));

        // Mail from the unverified domain is accepted with a warning naming the failing records; from the verified one, without.
        var warned = await shop.GetMessageAsync(await shop.SendAsync(new { from = "orders@missing.test", to = new[] { "bob@example.test" }, subject = "s", text = "t" }));
        var warning = Assert.Single(warned["events"]!.AsArray(), e => (string?)e!["type"] == "warning")!;
        Assert.Contains("DKIM TXT", (string?)warning["detail"]);
        Assert.Contains("._domainkey.missing.test is missing", (string?)warning["detail"]);
        var clean = await shop.GetMessageAsync(await shop.SendAsync(new { from = "orders@right.test", to = new[] { "bob@example.test" }, subject = "s", text = "t" }));
        Assert.DoesNotContain(clean["events"]!.AsArray(), e => (string?)e!["type"] == "warning");
    }

    [Fact]
    public async Task With_require_verified_mail_from_an_unverified_domain_is_refused_over_http_and_smtp()
    {
        var app = App(requireVerified: true);
        var secret = await app.CreateKeyAsync("verify-strict");
        var shop = app.Client(secret);
        await shop.RegisterDomainAsync("missing.test");
        await _dns.ServeAsync(_ => { });
        Assert.Equal("unverified", (string?)(await shop.VerifyDomainAsync("missing.test"))["status"]);

        var response = await shop.PostAsJsonAsync("/messages", new { from = "orders@missing.test", to = new[] { "bob@example.test" }, subject = "s", text = "t" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("._domainkey.missing.test is missing", (string?)JsonNode.Parse(body)!["detail"]);

        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", app.SubmissionPort, SecureSocketOptions.StartTls);
        await smtp.AuthenticateAsync("apikey", secret);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("orders@missing.test"));
        message.To.Add(MailboxAddress.Parse("bob@example.test"));
        message.Subject = "s";
        message.Body = new TextPart("plain") { Text = "t" };
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(message));
        Assert.Equal(550, (int)refused.StatusCode);
        Assert.StartsWith("5.7.1 ", refused.Message);
        Assert.Contains("missing.test", refused.Message);
    }
}
