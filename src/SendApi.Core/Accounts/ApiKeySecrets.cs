using System.Security.Cryptography;
using System.Text;

namespace SendApi.Core.Accounts;

public static class ApiKeySecrets
{
    private const string Prefix = "sk_";

    /// <summary>A new secret: "sk_" and 32 random bytes in base64url (256 bits of entropy).</summary>
    public static string Generate() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewKeyId() => "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
