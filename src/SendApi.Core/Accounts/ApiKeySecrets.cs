using System.Security.Cryptography;
using System.Text;

namespace SendApi.Core.Accounts;

public static class ApiKeySecrets
{
    private const string Prefix = "sk_";
    private const string KeyIdPrefix = "key_";

    /// <summary>A new secret: "sk_" and 32 random bytes in base64url (256 bits of entropy).</summary>
    public static string Generate() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// What a listing shows of a secret: "sk_" and 5 of its 43 random characters for a generated
    /// key (30 of 256 bits: useless to a guesser), only the first 3 characters of one an operator
    /// chose (Admin:ApiKey), which may be far less random.
    /// </summary>
    public static string PrefixOf(string secret) =>
        secret.StartsWith(Prefix, StringComparison.Ordinal) && secret.Length > 40 ? secret[..(Prefix.Length + 5)] : secret[..Math.Min(3, secret.Length)];

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewKeyId() => KeyIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>A key id as <see cref="NewKeyId"/> makes it: anything else in a URL must not reach the store.</summary>
    public static bool IsKeyId(string? id) =>
        id is { Length: 20 } && id.StartsWith(KeyIdPrefix, StringComparison.Ordinal)
        && !id.AsSpan(KeyIdPrefix.Length).ContainsAnyExcept("0123456789abcdef");
}
