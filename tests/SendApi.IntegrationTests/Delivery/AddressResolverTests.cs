using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Delivery;
using SendApi.Delivery.Routing;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// What an MX host's address lookup gives, and what a failing address family costs, with
/// delivery's own DNS client (three tries per query) against real dnsmasq.
/// </summary>
public sealed class AddressResolverTests(UnreliableDnsWorld world) : IClassFixture<UnreliableDnsWorld>
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private AddressResolver Resolver(string server, string timeout = "500ms") => new(
        DnsClientFactory.Create(Options.Create(new DnsOptions { Servers = server, Timeout = timeout })),
        _time,
        NullLogger<AddressResolver>.Instance);

    [Fact]
    public async Task A_silent_AAAA_costs_one_try_and_is_not_asked_again_for_a_minute()
    {
        var resolver = Resolver(world.Dns.Server);
        var before = world.Dns.Queries("AAAA", "mx.timeout-aaaa.test");

        Assert.Equal([IPAddress.Parse("127.0.0.20")], await resolver.ResolveAsync("mx.timeout-aaaa.test", CancellationToken.None));
        // One AAAA query, not the client's three tries.
        Assert.Equal(before + 1, await world.Dns.WaitForQueriesAsync("AAAA", "mx.timeout-aaaa.test", before + 1));

        // The next messages to that host don't wait for it again...
        Assert.Equal([IPAddress.Parse("127.0.0.20")], await resolver.ResolveAsync("mx.timeout-aaaa.test", CancellationToken.None));
        Assert.Equal(before + 1, world.Dns.Queries("AAAA", "mx.timeout-aaaa.test"));

        // ...until a minute has passed.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([IPAddress.Parse("127.0.0.20")], await resolver.ResolveAsync("mx.timeout-aaaa.test", CancellationToken.None));
        Assert.Equal(before + 2, await world.Dns.WaitForQueriesAsync("AAAA", "mx.timeout-aaaa.test", before + 2));
    }

    [Fact]
    public async Task A_failing_family_remembered_is_asked_again_when_the_other_family_gives_nothing()
    {
        var resolver = Resolver(world.Dns.Server);
        var error = await Assert.ThrowsAsync<DnsLookupException>(() => resolver.ResolveAsync("mx.both-fail.test", CancellationToken.None));
        // Asked twice each: once in the first round, once more (with retries) because nothing came of it.
        var asked = await world.Dns.WaitForQueriesAsync("A", "mx.both-fail.test", 2);

        // Both families are remembered as failed, yet without any address both are asked again.
        await Assert.ThrowsAsync<DnsLookupException>(() => resolver.ResolveAsync("mx.both-fail.test", CancellationToken.None));

        Assert.Equal("Address lookup for mx.both-fail.test failed: A Server Failure; AAAA Server Failure", error.Message);
        Assert.Equal(asked + 1, await world.Dns.WaitForQueriesAsync("A", "mx.both-fail.test", asked + 1));
    }

    [Fact]
    public async Task Both_families_answering_no_record_is_no_address_not_a_failure()
    {
        // An authoritative server: NODATA for the A and AAAA of a name that has only an MX record, NXDOMAIN for an unknown name.
        await using var dns = await DnsServer.StartAsync(zone => zone.Mx("mxonly.test", "mx.mxonly.test", 10).A("v4only.test", "127.0.0.30"));
        var resolver = Resolver(dns.Server);

        Assert.Empty(await resolver.ResolveAsync("mxonly.test", CancellationToken.None));
        Assert.Empty(await resolver.ResolveAsync("unknown.test", CancellationToken.None));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("v4only.test", CancellationToken.None));
    }

    [Fact]
    public async Task A_timeout_on_both_families_is_a_lookup_failure()
    {
        await using var silent = BrokenNameServer.Silent();
        await using var dns = await DnsServer.StartAsync(zone => zone.Forward("gone.test", silent.EndPoint), DnsServerMode.Forwarder);
        var resolver = Resolver(dns.Server, timeout: "200ms");

        var error = await Assert.ThrowsAsync<DnsLookupException>(() => resolver.ResolveAsync("mx.gone.test", CancellationToken.None));

        Assert.StartsWith("Address lookup for mx.gone.test failed: A ", error.Message);
    }

    [Fact]
    public async Task An_AAAA_answered_NODATA_with_an_SOA_is_asked_once_within_its_negative_ttl()
    {
        // A real zone's server: NODATA for the AAAA of a host with only an A record, its SOA (TTL and MINIMUM 120 s) in the authority section.
        await using var dns = await DnsServer.StartAsync(zone => zone.A("mx.v4only.test", "127.0.0.30"), DnsServerMode.AuthoritativeWithSoa, ttlSeconds: 120);
        var resolver = Resolver(dns.Server);

        for (var delivery = 0; delivery < 3; delivery++)
        {
            Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        }

        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        Assert.Equal(1, await dns.WaitForQueriesAsync("AAAA", "mx.v4only.test", 1));

        // Once the SOA's negative TTL has passed, it is asked again.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        Assert.Equal(2, await dns.WaitForQueriesAsync("AAAA", "mx.v4only.test", 2));
    }

    [Fact]
    public async Task An_unknown_host_NXDOMAIN_with_an_SOA_is_asked_once_within_its_negative_ttl()
    {
        await using var dns = await DnsServer.StartAsync(zone => zone.A("mx.v4only.test", "127.0.0.30"), DnsServerMode.AuthoritativeWithSoa, ttlSeconds: 120);
        var resolver = Resolver(dns.Server);

        Assert.Empty(await resolver.ResolveAsync("mx.gone.test", CancellationToken.None));
        Assert.Empty(await resolver.ResolveAsync("mx.gone.test", CancellationToken.None));

        Assert.Equal(1, await dns.WaitForQueriesAsync("A", "mx.gone.test", 1));
        Assert.Equal(1, await dns.WaitForQueriesAsync("AAAA", "mx.gone.test", 1));
    }

    [Fact]
    public async Task A_negative_ttl_longer_than_five_minutes_is_remembered_for_five()
    {
        await using var dns = await DnsServer.StartAsync(zone => zone.A("mx.v4only.test", "127.0.0.30"), DnsServerMode.AuthoritativeWithSoa, ttlSeconds: 3600);
        var resolver = Resolver(dns.Server);

        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        Assert.Equal(1, await dns.WaitForQueriesAsync("AAAA", "mx.v4only.test", 1));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        Assert.Equal(2, await dns.WaitForQueriesAsync("AAAA", "mx.v4only.test", 2));
    }

    [Fact]
    public async Task A_NODATA_without_an_SOA_is_not_remembered()
    {
        // dnsmasq's --local answers NODATA with an empty authority section: RFC 2308 §5 says not to cache it.
        await using var dns = await DnsServer.StartAsync(zone => zone.A("mx.v4only.test", "127.0.0.30"), ttlSeconds: 300);
        var resolver = Resolver(dns.Server);

        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));
        Assert.Equal([IPAddress.Parse("127.0.0.30")], await resolver.ResolveAsync("mx.v4only.test", CancellationToken.None));

        Assert.Equal(2, await dns.WaitForQueriesAsync("AAAA", "mx.v4only.test", 2));
    }

    [Theory]
    [InlineData("mx.refused-aaaa.test")]
    [InlineData("mx.servfail-aaaa.test")]
    public async Task A_refused_or_servfail_AAAA_is_not_remembered_as_an_empty_answer(string host)
    {
        var resolver = Resolver(world.Dns.Server);
        var before = world.Dns.Queries("AAAA", host);

        Assert.Equal([IPAddress.Parse("127.0.0.20")], await resolver.ResolveAsync(host, CancellationToken.None));
        Assert.Equal(before + 1, await world.Dns.WaitForQueriesAsync("AAAA", host, before + 1));

        // Remembered as a failure for a minute only (well within the five minutes an empty answer may be), then asked again.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([IPAddress.Parse("127.0.0.20")], await resolver.ResolveAsync(host, CancellationToken.None));
        Assert.Equal(before + 2, await world.Dns.WaitForQueriesAsync("AAAA", host, before + 2));
    }
}
