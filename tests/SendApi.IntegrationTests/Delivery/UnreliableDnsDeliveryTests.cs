using Microsoft.Extensions.Time.Testing;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// Delivery when the recipients' DNS misbehaves (REFUSED, SERVFAIL or silence for one address
/// family, CNAMEs, long MX lists) against real dnsmasq and real SMTP servers: one address family
/// failing while the other answers still delivers, as Postfix does; only a lookup that yields no
/// address at all is a temporary failure.
/// </summary>
public sealed class UnreliableDnsDeliveryTests : IClassFixture<UnreliableDnsWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly UnreliableDnsWorld _world;
    private readonly SendApiApp _app;
    private readonly HttpClient _client;

    public UnreliableDnsDeliveryTests(UnreliableDnsWorld world)
    {
        _world = world;
        // A fake clock: nothing is retried unless a test moves it, so "deferred" stays visible.
        _app = new SendApiApp(world.Settings(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        _client = _app.Client();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Unique(string domain) => $"rcpt-{Guid.NewGuid():N}@{domain}";

    private async Task<string> DeliveredViaAsync(string domain, Infrastructure.AiosmtpdSink sink)
    {
        var to = Unique(domain);
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = $"to {domain}", text = "x" });

        await sink.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to));
        var message = await _client.WaitForStatusAsync(id, Patience, "delivered", "deferred", "failed");
        Assert.Equal("delivered", (string?)message.Recipient(to)["status"]);
        Assert.Equal(1, (int?)message.Recipient(to)["attempts"]);
        return (string)message.Events("delivered").Single()["mx"]!;
    }

    private async Task<string> DeferredBecauseAsync(string domain, string enhancedCode = "4.4.3")
    {
        var to = Unique(domain);
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = $"to {domain}", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "deferred", "failed", "delivered");
        var recipient = message.Recipient(to);
        Assert.Equal("deferred", (string?)recipient["status"]);
        Assert.Equal(451, (int?)recipient["last_response"]!["code"]);
        Assert.Equal(enhancedCode, (string?)recipient["last_response"]!["enhanced_code"]);
        return (string)recipient["last_response"]!["text"]!;
    }

    /// <summary>The query for one address family is REFUSED or SERVFAIL: the mail goes over the other.</summary>
    [Theory]
    [InlineData("refused-aaaa.test", "A", "mx.refused-aaaa.test[127.0.0.20]")]
    [InlineData("servfail-aaaa.test", "A", "mx.servfail-aaaa.test[127.0.0.20]")]
    [InlineData("refused-a.test", "AAAA", "mx.refused-a.test[::1]")]
    [InlineData("servfail-a.test", "AAAA", "mx.servfail-a.test[::1]")]
    public async Task An_mx_host_whose_A_or_AAAA_query_fails_gets_the_mail_over_its_other_record(string domain, string record, string via)
    {
        Assert.Contains(via, await DeliveredViaAsync(domain, record == "AAAA" ? _world.V6 : _world.V4));
    }

    [Fact]
    public async Task An_mx_host_whose_AAAA_query_is_never_answered_gets_the_mail_over_its_A_record()
    {
        Assert.Contains("mx.timeout-aaaa.test[127.0.0.20]", await DeliveredViaAsync("timeout-aaaa.test", _world.V4));
        Assert.True(_world.Dns.Queries("AAAA", "mx.timeout-aaaa.test") >= 1, _world.Dns.Output);
    }

    [Fact]
    public async Task An_mx_host_that_is_a_CNAME_gets_the_mail_at_the_CNAMEs_address()
    {
        Assert.Contains("alias.cname.test[127.0.0.20]", await DeliveredViaAsync("cname.test", _world.V4));
    }

    [Fact]
    public async Task A_domain_with_24_mx_records_gets_the_mail_at_the_best_host_that_resolves_and_answers()
    {
        var via = await DeliveredViaAsync("many.test", _world.V4);

        // Preferences 10 (no records), 20 (SERVFAIL) and 30 (nothing listening) were all passed over for a 40.
        var best = Enumerable.Range(0, UnreliableDnsWorld.ManyPerPreference).Select(i => $"{UnreliableDnsWorld.ManyHost(40, i)}[127.0.0.20]");
        Assert.Contains(best, host => via.Contains(host, StringComparison.Ordinal));
    }

    /// <summary>
    /// Every dead address costs a connect timeout (30 s by default): a domain with a long list of
    /// them would hold a delivery worker for as long as the list is long. Ten addresses are tried,
    /// then the attempt is deferred; the hosts after the tenth are not even looked up.
    /// </summary>
    [Fact]
    public async Task A_domain_whose_many_MX_hosts_all_refuse_is_deferred_after_ten_addresses()
    {
        var text = await DeferredBecauseAsync("crowd.test", "4.4.1");

        Assert.Contains("127.0.0.21", text);
        Assert.True(await _world.Dns.WaitForQueriesAsync("A", UnreliableDnsWorld.CrowdHost("crowd.test", 10), 1) >= 1, _world.Dns.Output);
        for (var preference = 11; preference <= UnreliableDnsWorld.CrowdSize; preference++)
        {
            Assert.Equal(0, _world.Dns.Queries("A", UnreliableDnsWorld.CrowdHost("crowd.test", preference)));
        }
    }

    /// <summary>Each MX host whose lookup fails costs DNS timeouts: twenty are looked up, then the attempt is deferred.</summary>
    [Fact]
    public async Task A_domain_whose_many_MX_hosts_have_no_address_is_deferred_after_twenty_lookups()
    {
        var text = await DeferredBecauseAsync("nameless.test");

        Assert.StartsWith("Address lookup for mx20.nameless.test failed", text);
        Assert.True(await _world.Dns.WaitForQueriesAsync("A", UnreliableDnsWorld.CrowdHost("nameless.test", 20), 1) >= 1, _world.Dns.Output);
        for (var preference = 21; preference <= UnreliableDnsWorld.CrowdSize; preference++)
        {
            Assert.Equal(0, _world.Dns.Queries("A", UnreliableDnsWorld.CrowdHost("nameless.test", preference)));
        }
    }

    [Fact]
    public async Task An_mx_host_whose_A_and_AAAA_queries_both_fail_defers_the_recipient()
    {
        var text = await DeferredBecauseAsync("both-fail.test");

        Assert.StartsWith("Address lookup for mx.both-fail.test failed: A ", text);
        Assert.Contains("; AAAA ", text);
    }

    [Theory]
    [InlineData("mx-servfail.test")]
    [InlineData("mx-refused.test")]
    public async Task An_MX_query_answered_SERVFAIL_or_REFUSED_defers_the_recipient(string domain)
    {
        Assert.StartsWith($"MX lookup for {domain} failed", await DeferredBecauseAsync(domain));
    }
}
