using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SendApi.Webhooks.Network;

/// <summary>
/// Which addresses a webhook may not reach unless private networks are allowed: everything that is
/// not the public internet (loopback, RFC 1918 and unique-local, link-local, CGNAT, unspecified,
/// multicast, reserved) and the cloud metadata services. IPv6 forms that carry an IPv4 address
/// (mapped, compatible, NAT64, 6to4) are judged by that address, so <c>::ffff:127.0.0.1</c> is loopback.
/// </summary>
public static class NonPublicAddresses
{
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    private static readonly (uint Network, int Prefix, string Kind)[] V4 =
    [
        (Ip(169, 254, 169, 254), 32, "a cloud metadata address"),
        (Ip(0, 0, 0, 0), 8, "an unspecified address"),
        (Ip(10, 0, 0, 0), 8, "a private address"),
        (Ip(100, 64, 0, 0), 10, "a carrier-grade NAT address"),
        (Ip(127, 0, 0, 0), 8, "a loopback address"),
        (Ip(169, 254, 0, 0), 16, "a link-local address"),
        (Ip(172, 16, 0, 0), 12, "a private address"),
        (Ip(192, 0, 0, 0), 24, "a reserved address"),
        (Ip(192, 168, 0, 0), 16, "a private address"),
        (Ip(198, 18, 0, 0), 15, "a reserved address"),
        (Ip(224, 0, 0, 0), 4, "a multicast address"),
        (Ip(240, 0, 0, 0), 4, "a reserved address"),
    ];

    /// <summary>What kind of non-public address this is (e.g. "a loopback address"), or null for a public one.</summary>
    public static string? Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return ClassifyV4(BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes()));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Any))
        {
            return "an unspecified address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "a loopback address";
        }

        if (new IPAddress(b).Equals(AwsMetadataV6))
        {
            return "a cloud metadata address";
        }

        if (address.IsIPv4MappedToIPv6 || b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            // ::ffff:a.b.c.d and the deprecated ::a.b.c.d.
            return ClassifyV4(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12)));
        }

        if (b.AsSpan(0, 12).SequenceEqual((ReadOnlySpan<byte>)[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]))
        {
            return ClassifyV4(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12))); // NAT64 64:ff9b::/96
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ClassifyV4(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(2))); // 6to4 2002::/16
        }

        return (b[0], b[1] & 0xC0) switch
        {
            (0xFC or 0xFD, _) => "a private address",      // fc00::/7 unique local
            (0xFE, 0x80) => "a link-local address",       // fe80::/10
            (0xFE, 0xC0) => "a site-local address",       // fec0::/10, deprecated
            (0xFF, _) => "a multicast address",           // ff00::/8
            _ => null,
        };
    }

    private static string? ClassifyV4(uint address)
    {
        foreach (var (network, prefix, kind) in V4)
        {
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            if ((address & mask) == network)
            {
                return kind;
            }
        }

        return null;
    }

    private static uint Ip(byte a, byte b, byte c, byte d) => (uint)(a << 24 | b << 16 | c << 8 | d);
}
