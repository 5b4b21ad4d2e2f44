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
    [InlineData("192.0.2.1", "a documentation address")]
    [InlineData("198.51.100.7", "a documentation address")]
    [InlineData("203.0.113.200", "a documentation address")]
    [InlineData("2001:db8::1", "a documentation address")]
    [InlineData("2001:db8:ffff::1", "a documentation address")]
    [InlineData("3fff::1", "a documentation address")]
    [InlineData("3fff:fff:ffff::1", "a documentation address")]
    [InlineData("198.18.0.1", "a benchmarking address")]
    [InlineData("198.19.255.254", "a benchmarking address")]
    [InlineData("2001:2::1", "a benchmarking address")]
    [InlineData("240.0.0.1", "a reserved address")]
    [InlineData("250.1.2.3", "a reserved address")]
    [InlineData("192.0.0.8", "a reserved address")]
    [InlineData("192.88.99.1", "a reserved address")]
    [InlineData("2001:10::1", "a reserved address")]
    [InlineData("2001:1ff::1", "a reserved address")]
    [InlineData("5f00::1", "a reserved address")]
    [InlineData("4000::1", "a reserved address")]
    [InlineData("1::1", "a reserved address")]
    [InlineData("64:ff9b:2::1", "a reserved address")]
    [InlineData("100::1", "a discard-only address")]
    [InlineData("100:0:0:1::5", "a discard-only address")]
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
    [InlineData("::ffff:203.0.113.9", "a documentation address")]          // IPv4-mapped
    [InlineData("::ffff:0:127.0.0.1", "a loopback address")]               // IPv4-translated (RFC 2765)
    [InlineData("::ffff:0:192.0.2.1", "a documentation address")]
    [InlineData("::192.0.2.5", "a documentation address")]                 // IPv4-compatible
    [InlineData("::0.0.0.2", "an unspecified address")]
    [InlineData("64:ff9b::198.51.100.1", "a documentation address")]       // NAT64 well-known prefix
    [InlineData("64:ff9b::198.18.0.1", "a benchmarking address")]
    [InlineData("64:ff9b:1::10.0.0.1", "a private address")]               // local-use NAT64, /96 layout
    [InlineData("64:ff9b:1:7f00:0:100::", "a loopback address")]            // local-use NAT64, /48 layout: 127.0.0.1
    [InlineData("64:ff9b:1:0:a:0:100:0", "a private address")]             // local-use NAT64, /64 layout: 10.0.0.1
    [InlineData("2002:c000:201::1", "a documentation address")]            // 6to4 of 192.0.2.1
    [InlineData("2002:f000:1::", "a reserved address")]                     // 6to4 of 240.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback address")] // Teredo, client 127.0.0.1
    [InlineData("2001:0:a00:1:8000:63bf:f7f7:f7f7", "a private address")]  // Teredo, server 10.0.0.1
    [InlineData("2001:0:cb00:7101::f7f7:f7f7", "a documentation address")] // Teredo, server 203.0.113.1
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
    [InlineData("::ffff:0:8.8.8.8")]
    [InlineData("64:ff9b:1::8.8.8.8")]
    [InlineData("2002:808:808::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7")] // Teredo, server 65.54.227.120, client 8.8.8.8
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2620:4f:8000::1")]
    [InlineData("192.0.3.1")]
    [InlineData("198.20.0.1")]
    [InlineData("223.255.255.255")]
    public void Public_addresses_pass(string address)
    {
        Assert.Null(NonPublicAddresses.Classify(IPAddress.Parse(address)));
    }
}
