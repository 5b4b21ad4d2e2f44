using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Domains;

/// <summary>
/// DKIM end to end: a domain registered over the API, its record published in a real DNS server
/// (dnsmasq), a message sent over the API and delivered to a real MX (aiosmtpd), and the bytes
/// that arrived verified against the record a receiver's DNS query returns.
/// </summary>
[Collection(DomainsCollection.Name)]
public sealed class DkimDeliveryTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly SendApiApp _app = new(world.Settings());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Mail_from_a_registered_domain_arrives_signed_and_verifies_against_the_published_dns_record()
    {
        var shop = _app.Client(await _app.CreateKeyAsync("dkim-shop"));
        var domain = await shop.RegisterDomainAsync("acme.test");
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(domain);
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));

        var to = $"bob-{Guid.NewGuid():N}@example.test";
        var id = await shop.SendAsync(new
        {
            from = "Acme Store <orders@acme.test>",
            to = new[] { $"Bob <{to}>" },
            cc = new[] { $"carol-{Guid.NewGuid():N}@example.test" },
            reply_to = "support@acme.test",
            subject = "Your order #1234 — ünïcödé",
            text = "Grüße! Thank you for your order.\n.\nA line with a lone dot, and trailing spaces   \n",
            html = "<p>Thank you for your <b>order</b>.</p>",
            attachments = new[] { new { filename = "invoice.txt", content = Convert.ToBase64String("Total: 12 €"u8.ToArray()) } },
        });

        await shop.WaitForStatusAsync(id, Patience, "delivered");
        var received = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0].Parse();
        var tags = DomainsTestKit.Tags(Assert.Single(received.Headers, h => h.Id == HeaderId.DkimSignature).Value);
        Assert.Equal("rsa-sha256", tags["a"]);
        Assert.Equal("relaxed/relaxed", tags["c"]);
        Assert.Equal("acme.test", tags["d"]);
        Assert.Equal((string?)domain["dkim"]!["selector"], tags["s"]);
        Assert.Equal("from:reply-to:to:cc:subject:date:message-id:mime-version:content-type", tags["h"]);

        Assert.True(await DomainsTestKit.VerifyAsync(received, dns.CreateLookupClient()));
        Assert.Contains($"query[TXT] {recordName}", await dns.OutputSoonContainingAsync($"query[TXT] {recordName}"));

        // The verifier is not a yes-man: the same bytes with one header changed fail.
        received.Subject = "Changed in transit";
        Assert.False(await DomainsTestKit.VerifyAsync(received, dns.CreateLookupClient()));
    }

    [Fact]
    public async Task Mail_from_a_domain_its_account_did_not_register_arrives_unsigned()
    {
        await _app.Client(await _app.CreateKeyAsync("dkim-owner")).RegisterDomainAsync("acme.test");
        var other = _app.Client(await _app.CreateKeyAsync("dkim-other"));

        var to = $"eve-{Guid.NewGuid():N}@example.test";
        var id = await other.SendAsync(new { from = "orders@acme.test", to = new[] { to }, subject = "not mine", text = "x" });
        await other.WaitForStatusAsync(id, Patience, "delivered");

        var received = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0].Parse();
        Assert.DoesNotContain(received.Headers, h => h.Id == HeaderId.DkimSignature);
    }

    [Fact]
    public async Task A_deleted_domain_is_no_longer_signed_for()
    {
        var shop = _app.Client(await _app.CreateKeyAsync("dkim-deleted"));
        await shop.RegisterDomainAsync("acme.test");
        var before = $"before-{Guid.NewGuid():N}@example.test";
        await shop.WaitForStatusAsync(await shop.SendAsync(new { from = "orders@acme.test", to = new[] { before }, subject = "signed", text = "x" }), Patience, "delivered");
        var signed = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(before)))[0].Parse();
        Assert.Contains(signed.Headers, h => h.Id == HeaderId.DkimSignature);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await shop.DeleteAsync("/domains/acme.test")).StatusCode);
        var after = $"after-{Guid.NewGuid():N}@example.test";
        await shop.WaitForStatusAsync(await shop.SendAsync(new { from = "orders@acme.test", to = new[] { after }, subject = "unsigned", text = "x" }), Patience, "delivered");
        var unsigned = (await world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(after)))[0].Parse();
        Assert.DoesNotContain(unsigned.Headers, h => h.Id == HeaderId.DkimSignature);
    }
}
