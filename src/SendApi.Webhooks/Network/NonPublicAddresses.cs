using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SendApi.Webhooks.Network;

/// <summary>
/// Which addresses a webhook may not reach unless private networks are allowed: everything that is
/// not the public internet, after IANA's IPv4 and IPv6 special-purpose address registries (loopback,
/// private and unique-local, link-local, shared/CGNAT, documentation, benchmarking, reserved,
/// discard-only, multicast, broadcast), IPv6 outside the global unicast space 2000::/3, and the
/// cloud metadata services. IPv6 forms that carry an IPv4 address (mapped, translated, compatible,
/// NAT64, 6to4, Teredo: <see cref="EmbeddedIPv4"/>) are judged by that address, so
/// <c>::ffff:127.0.0.1</c> is loopback. The host's own addresses are <see cref="OwnAddresses"/>.
/// </summary>
public static class NonPublicAddresses
{
    private const string Reserved = "a reserved address";

    private static readonly (uint Network, int Prefix, string Kind)[] V4 =
    [
        (Ip(169, 254, 169, 254), 32, "a cloud metadata address"),
        (Ip(0, 0, 0, 0), 8, "an unspecified address"),
        (Ip(10, 0, 0, 0), 8, "a private address"),
        (Ip(100, 64, 0, 0), 10, "a carrier-grade NAT address"),
        (Ip(127, 0, 0, 0), 8, "a loopback address"),
        (Ip(169, 254, 0, 0), 16, "a link-local address"),
        (Ip(172, 16, 0, 0), 12, "a private address"),
        // IETF protocol assignments; a few of its anycast addresses are globally reachable, but no webhook lives there.
        (Ip(192, 0, 0, 0), 24, Reserved),
        (Ip(192, 0, 2, 0), 24, "a documentation address"),       // TEST-NET-1, RFC 5737
        (Ip(192, 88, 99, 0), 24, Reserved),                       // 6to4 relay anycast, deprecated (RFC 7526)
        (Ip(192, 168, 0, 0), 16, "a private address"),
        (Ip(198, 18, 0, 0), 15, "a benchmarking address"),        // RFC 2544
        (Ip(198, 51, 100, 0), 24, "a documentation address"),    // TEST-NET-2
        (Ip(203, 0, 113, 0), 24, "a documentation address"),     // TEST-NET-3
        (Ip(224, 0, 0, 0), 4, "a multicast address"),
        (Ip(240, 0, 0, 0), 4, Reserved),                          // and 255.255.255.255, limited broadcast
    ];

    /// <summary>Checked in order, the first match wins: a more specific block comes before the block that holds it.</summary>
    private static readonly (UInt128 Network, int Prefix, string? Kind)[] V6 =
    [
        (V6Net("fd00:ec2::254"), 128, "a cloud metadata address"),
        (V6Net("100::"), 64, "a discard-only address"),                 // RFC 6666
        (V6Net("100:0:0:1::"), 64, "a discard-only address"),           // dummy prefix, RFC 9780
        (V6Net("2001:2::"), 48, "a benchmarking address"),              // RFC 5180
        (V6Net("2001::"), 23, Reserved),                                // IETF protocol assignments, ORCHID
        (V6Net("2001:db8::"), 32, "a documentation address"),           // RFC 3849
        (V6Net("3fff::"), 20, "a documentation address"),               // RFC 9637
        (V6Net("5f00::"), 16, Reserved),                                // SRv6 SIDs, RFC 9602
        (V6Net("fc00::"), 7, "a private address"),                      // unique local
        (V6Net("fe80::"), 10, "a link-local address"),
        (V6Net("fec0::"), 10, "a site-local address"),                  // deprecated
        (V6Net("ff00::"), 8, "a multicast address"),
        (V6Net("2000::"), 3, null),                                     // the rest of global unicast: public
    ];

    /// <summary>What kind of non-public address this is (e.g. "a loopback address"), or null for a public one.</summary>
    public static string? Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            address.TryWriteBytes(v4, out _);
            return ClassifyV4(BinaryPrimitives.ReadUInt32BigEndian(v4));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "an unspecified address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "a loopback address";
        }

        if (EmbeddedIPv4.Of(address) is { } carried)
        {
            // Every IPv4 address it may stand for must be public (Teredo carries two).
            return carried.Select(ClassifyV4).FirstOrDefault(kind => kind is not null);
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var value = BinaryPrimitives.ReadUInt128BigEndian(b);
        foreach (var (network, prefix, kind) in V6)
        {
            if ((value & V6Mask(prefix)) == network)
            {
                return kind;
            }
        }

        // Outside 2000::/3 nothing is assigned for use on the internet (IANA IPv6 address space).
        return Reserved;
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

    private static UInt128 V6Net(string text)
    {
        Span<byte> b = stackalloc byte[16];
        IPAddress.Parse(text).TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    private static UInt128 V6Mask(int prefix) => prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
}
