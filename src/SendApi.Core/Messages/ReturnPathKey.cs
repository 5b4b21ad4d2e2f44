using System.Security.Cryptography;
using System.Text;

namespace SendApi.Core.Messages;

/// <summary>
/// The secret that signs return paths: HMAC-SHA256 over the message id and the recipient part,
/// cut to 40 bits and written as 8 base32 letters (lower case, so that an MTA that lowers the
/// local part does not break it). 40 bits are plenty against guessing over SMTP, one RCPT at a
/// time, and keep the local part within 64 octets.
/// </summary>
public sealed class ReturnPathKey
{
    private const int SignatureBytes = 5;
    private const int SignatureChars = 8;
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    private readonly byte[] _key;

    public ReturnPathKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("A return-path key needs at least 16 bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>A new random 256-bit key.</summary>
    public static ReturnPathKey Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key's bytes, for storing a generated key where every instance reads it.</summary>
    public ReadOnlySpan<byte> Bytes => _key;

    internal string Sign(string messageId, string scope)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{messageId}\n{scope}"));
        return ToBase32(mac.AsSpan(0, SignatureBytes));
    }

    internal bool Verify(string messageId, string scope, string signature) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(messageId, scope)),
            Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));

    internal static bool IsSignatureShaped(string text) =>
        text.Length == SignatureChars && !text.AsSpan().ContainsAnyExcept(Base32);

    private static string ToBase32(ReadOnlySpan<byte> bytes)
    {
        // 5 bytes are exactly 40 bits: 8 symbols of 5 bits, no padding.
        ulong bits = 0;
        foreach (var b in bytes)
        {
            bits = (bits << 8) | b;
        }

        var text = new char[SignatureChars];
        for (var i = SignatureChars - 1; i >= 0; i--)
        {
            text[i] = Base32[(int)(bits & 31)];
            bits >>= 5;
        }

        return new string(text);
    }
}
