using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SendApi.Webhooks.Network;

/// <summary>
/// The IPv4 addresses an IPv6 address stands for. A connection to one of these forms reaches (or is
/// translated to) the IPv4 address inside it, so the guard judges that address: <c>::ffff:127.0.0.1</c>
/// is loopback, <c>64:ff9b::a00:1</c> is 10.0.0.1.
/// </summary>
internal static class EmbeddedIPv4
{
    /// <summary>
    /// Null when <paramref name="address"/> is not one of the forms that carry an IPv4 address;
    /// otherwise every IPv4 address it may stand for (one, except for Teredo and the local-use NAT64
    /// prefix, see below). <c>::</c> and <c>::1</c> are not IPv4-compatible addresses and give null.
    /// </summary>
    public static uint[]? Of(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var last = BinaryPrimitives.ReadUInt32BigEndian(b[12..]);
        var high = BinaryPrimitives.ReadUInt64BigEndian(b);
        var low = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);

        if (high == 0 && low >> 32 == 0xFFFF)
        {
            return [last]; // ::ffff:a.b.c.d, IPv4-mapped (RFC 4291 §2.5.5.2)
        }

        if (high == 0 && low >> 32 == 0xFFFF_0000)
        {
            return [last]; // ::ffff:0:a.b.c.d, IPv4-translated (RFC 2765 §2.1, SIIT)
        }

        if (high == 0 && low >> 32 == 0 && last > 1)
        {
            return [last]; // ::a.b.c.d, IPv4-compatible (deprecated, RFC 4291 §2.5.5.1)
        }

        if (high == 0x0064_FF9B_0000_0000 && low >> 32 == 0)
        {
            return [last]; // 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052 §2.1)
        }

        if (high >> 16 == 0x0064_FF9B_0001)
        {
            return LocalUseNat64(b);
        }

        if (high >> 48 == 0x2002)
        {
            return [BinaryPrimitives.ReadUInt32BigEndian(b[2..])]; // 6to4 2002:V4ADDR::/48 (RFC 3056)
        }

        if (high >> 32 == 0x2001_0000)
        {
            // Teredo (RFC 4380 §4): the server's address, then the client's public (NAT) address,
            // stored inverted. Packets go through the server's relay to the client: both must be public.
            return [BinaryPrimitives.ReadUInt32BigEndian(b[4..]), ~last];
        }

        return null;
    }

    /// <summary>
    /// 64:ff9b:1::/48 (RFC 8215) is subdivided by each network into translation prefixes of length
    /// /48, /56, /64 or /96, and RFC 6052 §2.2 puts the IPv4 address at a different place for each.
    /// Which one a network chose cannot be seen from the address, so every layout the address is
    /// consistent with (reserved octet 8 and the suffix zero) is returned, the /96 layout (always
    /// consistent) last. The guard refuses when any of them is not public.
    /// </summary>
    private static uint[] LocalUseNat64(ReadOnlySpan<byte> b)
    {
        var candidates = new List<uint>(4);
        if (b[8] == 0)
        {
            if (b[11..].IndexOfAnyExcept((byte)0) < 0)
            {
                candidates.Add(Ip(b[6], b[7], b[9], b[10])); // /48
            }

            if (b[12..].IndexOfAnyExcept((byte)0) < 0)
            {
                candidates.Add(Ip(b[7], b[9], b[10], b[11])); // /56
            }

            if (b[13..].IndexOfAnyExcept((byte)0) < 0)
            {
                candidates.Add(Ip(b[9], b[10], b[11], b[12])); // /64
            }
        }

        candidates.Add(BinaryPrimitives.ReadUInt32BigEndian(b[12..])); // /96
        return [.. candidates];
    }

    private static uint Ip(byte a, byte b, byte c, byte d) => (uint)(a << 24 | b << 16 | c << 8 | d);
}
