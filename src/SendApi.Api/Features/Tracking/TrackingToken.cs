using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Tracking;

/// <summary>What a token stands for.</summary>
internal enum TokenKind : byte
{
    Unsubscribe = 1,
    Open = 2,
    Click = 3,
}

/// <summary>
/// A signed link token: what it is for, the message, the recipient's index, and for a click the
/// link's index and its URL. Verifying needs only the key: nothing is stored per link.
/// <para>
/// Bytes: <c>[version·kind][message id, 16][recipient, varint]</c>, for a click
/// <c>[link, varint][URL, UTF-8]</c>, then a MAC of 10 bytes (HMAC-SHA256 of everything before it,
/// cut to 80 bits: each guess costs a request, so 2^80 is out of reach). Written in lower-case
/// base32, so the same token survives as a mailto local part through an MTA that folds case, and
/// an unsubscribe token fits in one (<c>unsubscribe+</c> and 45 characters, under the 64 octets of
/// RFC 5321 §4.5.3.1.1).
/// </para>
/// <para>
/// The account is not in the token: message ids are unique across accounts, so the message names
/// its account, and a token is acted on only through its stored message (the unsubscribe needs its
/// recipient's address, the events are written on it). Leaving it out keeps the mailto token short.
/// </para>
/// <para>
/// A click token carries its URL, covered by the MAC, rather than an index into links stored with
/// the message: the redirect can only ever go where the message's own link went (never an open
/// redirect), it needs no read of the store, and it keeps working after the message's retention
/// ends (a link in an old mail must not break; only its click stops being recorded).
/// </para>
/// </summary>
internal sealed record TrackingToken(TokenKind Kind, string MessageId, int Recipient, int Link = 0, string? Url = null)
{
    private const int Version = 1;
    private const int MacBytes = 10;
    private const int IdBytes = 16;

    /// <summary>Longer tokens are not ours (a click's URL is at most <see cref="LinkRewriter.MaxUrlLength"/>): refused before any work.</summary>
    public const int MaxLength = 4096;

    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    public string Encode(TrackingKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var payload = new List<byte>(64) { (byte)((Version << 4) | (int)Kind) };
        payload.AddRange(Convert.FromHexString(MessageId));
        WriteVarint(payload, Recipient);
        if (Kind == TokenKind.Click)
        {
            WriteVarint(payload, Link);
            payload.AddRange(Encoding.UTF8.GetBytes(Url ?? throw new InvalidOperationException("A click token carries its URL.")));
        }

        var bytes = payload.ToArray();
        return ToBase32([.. bytes, .. key.Mac(bytes)[..MacBytes]]);
    }

    /// <summary>The token, when <paramref name="text"/> is one this key signed; false for anything else, tampered or not ours.</summary>
    public static bool TryDecode(string? text, TrackingKey key, [NotNullWhen(true)] out TrackingToken? token)
    {
        ArgumentNullException.ThrowIfNull(key);
        token = null;
        if (text is null || text.Length is 0 or > MaxLength || !TryFromBase32(text, out var bytes) || bytes.Length < 1 + IdBytes + 1 + MacBytes)
        {
            return false;
        }

        var payload = bytes.AsSpan(0, bytes.Length - MacBytes);
        if (!CryptographicOperations.FixedTimeEquals(key.Mac(payload).AsSpan(0, MacBytes), bytes.AsSpan(bytes.Length - MacBytes)))
        {
            return false;
        }

        // Signed by us, so well-formed unless the format changed: still read defensively.
        if (payload[0] >> 4 != Version || (payload[0] & 15) is not (>= 1 and <= 3))
        {
            return false;
        }

        var kind = (TokenKind)(payload[0] & 15);
        var id = Convert.ToHexStringLower(payload.Slice(1, IdBytes));
        var at = 1 + IdBytes;
        if (!TryReadVarint(payload, ref at, out var recipient))
        {
            return false;
        }

        if (kind != TokenKind.Click)
        {
            token = at == payload.Length ? new TrackingToken(kind, id, recipient) : null;
            return token is not null;
        }

        if (!TryReadVarint(payload, ref at, out var link))
        {
            return false;
        }

        token = new TrackingToken(kind, id, recipient, link, Encoding.UTF8.GetString(payload[at..]));
        return MessageIds.IsValid(id);
    }

    private static void WriteVarint(List<byte> bytes, int value)
    {
        var v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }

        bytes.Add((byte)v);
    }

    /// <summary>At most 3 bytes (2^21): recipients and links are counted in thousands at most.</summary>
    private static bool TryReadVarint(ReadOnlySpan<byte> bytes, ref int at, out int value)
    {
        value = 0;
        for (var shift = 0; shift < 21; shift += 7)
        {
            if (at >= bytes.Length)
            {
                return false;
            }

            var b = bytes[at++];
            value |= (b & 0x7f) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private static string ToBase32(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Base32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Base32[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }

    private static bool TryFromBase32(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, n = 0;
        foreach (var c in text)
        {
            var value = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= 'A' and <= 'Z' => c - 'A',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (value < 0)
            {
                return false;
            }

            buffer = ((buffer << 5) | value) & 0xfff;
            bits += 5;
            if (bits >= 8)
            {
                bytes[n++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }

        // A token we wrote ends within its last symbol, on zero bits: one spelling per token.
        return bits < 5 && (buffer & ((1 << bits) - 1)) == 0;
    }
}

/// <summary>The secret that signs tokens. Domain-separated, so that it never makes a MAC that means something elsewhere.</summary>
internal sealed class TrackingKey
{
    private static readonly byte[] Label = "sendapi tracking token\n"u8.ToArray();
    private readonly byte[] _key;

    public TrackingKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("A tracking key needs at least 16 bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    public byte[] Mac(ReadOnlySpan<byte> payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Label);
        hmac.AppendData(payload);
        return hmac.GetHashAndReset();
    }
}
