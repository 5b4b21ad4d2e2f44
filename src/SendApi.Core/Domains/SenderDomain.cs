using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SendApi.Core.Domains;

/// <summary>A domain an account sends from, with the key its mail is DKIM-signed with.</summary>
/// <param name="AccountId">Only this account's mail is signed with the key; other accounts do not see the domain.</param>
/// <param name="Name">The domain in lower case, IDNs in their ASCII (punycode) form; see <see cref="DomainNames"/>.</param>
public sealed record SenderDomain(string AccountId, string Name, DateTimeOffset CreatedAt, DkimKey Dkim);

/// <summary>A DKIM key pair and the selector it is published under (<c>&lt;selector&gt;._domainkey.&lt;domain&gt;</c>).</summary>
/// <param name="Algorithm">The DKIM <c>a=</c> tag; only <see cref="RsaSha256"/> is generated.</param>
/// <param name="PublicKey">The DER SubjectPublicKeyInfo in base64: the <c>p=</c> tag of the DNS record.</param>
/// <param name="PrivateKeyPem">PKCS#8 PEM. A secret: it lives in the store and never leaves it
/// through the API or a log (<see cref="ToString"/> leaves it out).</param>
public sealed record DkimKey(string Selector, string Algorithm, string PublicKey, string PrivateKeyPem)
{
    public const string RsaSha256 = "rsa-sha256";

    /// <summary>
    /// A new RSA-2048 key with a selector such as <c>sa20261122-3f9c</c>. The date tells an operator
    /// how old a published key is; the random part keeps a domain that is deleted and registered
    /// again (or registered by two accounts) from reusing a selector that resolvers may have cached.
    /// </summary>
    public static DkimKey Generate(DateTimeOffset now)
    {
        using var rsa = RSA.Create(2048);
        var selector = "sa" + now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)
            + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        return new DkimKey(selector, RsaSha256, Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()), rsa.ExportPkcs8PrivateKeyPem());
    }

    // A record prints every property, and records end up in log messages; the private key must not.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Selector = ").Append(Selector).Append(", Algorithm = ").Append(Algorithm).Append(", PrivateKeyPem = (secret)");
        return true;
    }
}
