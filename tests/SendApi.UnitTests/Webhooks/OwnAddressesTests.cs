using System.Net;
using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.UnitTests.Webhooks;

/// <summary>
/// The SSRF guard's view of this host's own addresses. Nothing here connects anywhere: the guard's
/// decision is what is tested.
/// </summary>
public sealed class OwnAddressesTests
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(1);

    /// <summary>A host whose interfaces have the addresses a test sets, counting how often they are read.</summary>
    private sealed class Interfaces(params string[] addresses)
    {
        public List<string> Addresses { get; set; } = [.. addresses];

        public Exception? Failure { get; set; }

        public int Reads { get; private set; }

        public IEnumerable<IPAddress> Read()
        {
            Reads++;
            return Failure is null ? [.. Addresses.Select(IPAddress.Parse)] : throw Failure;
        }
    }

    private static OwnAddresses Own(Interfaces interfaces, TimeProvider time) =>
        new(time, Refresh, NullLogger<OwnAddresses>.Instance, interfaces.Read);

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("::ffff:0:93.184.216.34")]
    [InlineData("::93.184.216.34")]
    [InlineData("64:ff9b::93.184.216.34")]
    [InlineData("64:ff9b:1::93.184.216.34")]
    [InlineData("2002:5db8:d822::1")]
    [InlineData("2606:4700::1111")]
    public void A_public_address_of_this_host_is_refused_in_every_spelling(string address)
    {
        using var own = Own(new Interfaces("93.184.216.34", "2606:4700::1111"), new FakeTimeProvider());
        var connector = new GuardedConnector(new NoResolver(), own, Options.Create(new WebhookOptions()));

        Assert.Equal("one of this host's own addresses", connector.Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.35")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("2606:4700::1112")]
    public void Another_public_address_passes(string address)
    {
        using var own = Own(new Interfaces("93.184.216.34", "2606:4700::1111"), new FakeTimeProvider());
        var connector = new GuardedConnector(new NoResolver(), own, Options.Create(new WebhookOptions()));

        Assert.Null(connector.Refusal(IPAddress.Parse(address)));
    }

    [Fact]
    public void A_link_local_address_read_with_its_scope_matches_the_same_address_without_one()
    {
        using var own = Own(new Interfaces("2606:4700::1111%2"), new FakeTimeProvider());

        Assert.Equal(OwnAddresses.Kind, own.Classify(IPAddress.Parse("2606:4700::1111")));
    }

    [Fact]
    public void Addresses_are_read_once_at_start_and_again_when_the_refresh_interval_has_passed()
    {
        var time = new FakeTimeProvider();
        var interfaces = new Interfaces("93.184.216.34");
        using var own = Own(interfaces, time);
        Assert.Equal(1, interfaces.Reads);

        interfaces.Addresses = ["93.184.216.99"];
        time.Advance(Refresh - TimeSpan.FromSeconds(1));
        Assert.Equal(OwnAddresses.Kind, own.Classify(IPAddress.Parse("93.184.216.34")));
        Assert.Equal(1, interfaces.Reads);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(OwnAddresses.Kind, own.Classify(IPAddress.Parse("93.184.216.99")));
        Assert.Null(own.Classify(IPAddress.Parse("93.184.216.34")));
        Assert.Equal(2, interfaces.Reads);
    }

    [Fact]
    public void A_failed_reading_keeps_the_previous_addresses_until_the_next_interval()
    {
        var time = new FakeTimeProvider();
        var interfaces = new Interfaces("93.184.216.34");
        using var own = Own(interfaces, time);

        interfaces.Failure = new NetworkInformationException(13);
        time.Advance(Refresh);
        Assert.Equal(OwnAddresses.Kind, own.Classify(IPAddress.Parse("93.184.216.34")));
        Assert.Equal(OwnAddresses.Kind, own.Classify(IPAddress.Parse("93.184.216.34")));
        Assert.Equal(2, interfaces.Reads);

        interfaces.Failure = null;
        interfaces.Addresses = [];
        time.Advance(Refresh);
        Assert.Null(own.Classify(IPAddress.Parse("93.184.216.34")));
    }

    [Fact]
    public void Every_address_of_this_machines_interfaces_is_refused()
    {
        // The real interfaces, as read by NetworkInterface: nothing is sent to any of them.
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .ToList();
        Assert.Contains(IPAddress.Loopback, addresses);
        using var own = new OwnAddresses(TimeProvider.System, Refresh, NullLogger<OwnAddresses>.Instance);
        var connector = new GuardedConnector(new NoResolver(), own, Options.Create(new WebhookOptions()));

        Assert.Equal(addresses.Select(a => Convert.ToHexString(a.GetAddressBytes())).Distinct().Count(), own.Count);
        Assert.All(addresses, address =>
        {
            Assert.NotNull(connector.Refusal(address));
            if (NonPublicAddresses.Classify(address) is null)
            {
                Assert.Equal(OwnAddresses.Kind, connector.Refusal(address));
            }
        });
        Assert.All(addresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork), v4 =>
        {
            Assert.NotNull(connector.Refusal(v4.MapToIPv6()));
            Assert.NotNull(connector.Refusal(IPAddress.Parse($"64:ff9b::{v4}")));
        });
    }

    private sealed class NoResolver : IWebhookHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => throw new InvalidOperationException("not used");
    }
}
