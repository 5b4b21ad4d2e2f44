using System.Net;
using SendApi.Webhooks.Network;

namespace SendApi.UnitTests.Webhooks;

public sealed class NonPublicAddressesTests
{
    [Theory]
    [InlineData("127.0.0.1", "a loopback address")]
    [InlineData("127.255.0.9", "a loopback address")]
    [InlineData("::1", "a loopback address")]
    [InlineData("10.1.2.3", "a private address")]
    [InlineData("172.16.0.1", "a private address")]
    [InlineData("172.31.255.255", "a private address")]
    [InlineData("192.168.1.1", "a private address")]
    [InlineData("fc00::1", "a private address")]
    [InlineData("fd12:3456::1", "a private address")]
    [InlineData("169.254.10.20", "a link-local address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("febf::1", "a link-local address")]
    [InlineData("100.64.0.1", "a carrier-grade NAT address")]
    [InlineData("100.127.255.254", "a carrier-grade NAT address")]
    [InlineData("0.0.0.0", "an unspecified address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("169.254.169.254", "a cloud metadata address")]
    [InlineData("fd00:ec2::254", "a cloud metadata address")]
    [InlineData("224.0.0.1", "a multicast address")]
    [InlineData("ff02::1", "a multicast address")]
    [InlineData("255.255.255.255", "a reserved address")]
    public void Non_public_addresses_are_named_by_kind(string address, string kind)
    {
        Assert.Equal(kind, NonPublicAddresses.Classify(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:127.0.0.1", "a loopback address")]
    [InlineData("::ffff:169.254.169.254", "a cloud metadata address")]
    [InlineData("::10.0.0.1", "a private address")]
    [InlineData("64:ff9b::192.168.0.1", "a private address")]
    [InlineData("2002:7f00:1::", "a loopback address")]
    public void IPv6_forms_carrying_an_IPv4_address_are_judged_by_that_address(string address, string kind)
    {
        Assert.Equal(kind, NonPublicAddresses.Classify(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.255.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    public void Public_addresses_pass(string address)
    {
        Assert.Null(NonPublicAddresses.Classify(IPAddress.Parse(address)));
    }
}
