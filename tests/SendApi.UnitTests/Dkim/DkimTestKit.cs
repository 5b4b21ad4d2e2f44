using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace SendApi.UnitTests.Dkim;

/// <summary>A DKIM public-key locator that answers from TXT records given to it, as DNS would.</summary>
internal sealed class TxtRecordLocator : DkimPublicKeyLocatorBase
{
    private readonly Dictionary<string, string> _records = new(StringComparer.OrdinalIgnoreCase);

    public TxtRecordLocator Add(string name, string txt)
    {
        _records[name] = txt;
        return this;
    }

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        _records.TryGetValue($"{selector}._domainkey.{domain}", out var txt)
            ? GetPublicKey(txt)
            : throw new KeyNotFoundException($"No TXT record for {selector}._domainkey.{domain}");

    public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
}

internal static class DkimTestKit
{
    /// <summary>The bytes MailKit puts on the wire for a signed message: CRLF, headers not re-encoded.</summary>
    public static byte[] WireBytes(MimeMessage message)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.International = false;
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    public static MimeMessage Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return MimeMessage.Load(stream);
    }

    /// <summary>The message as delivery sees it: written as the API stores it, then parsed again.</summary>
    public static MimeMessage Stored(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return Load(stream.ToArray());
    }

    /// <summary>Verifies the (first) DKIM-Signature of the message as a receiver would: from its wire bytes.</summary>
    public static bool Verifies(MimeMessage signed, TxtRecordLocator dns)
    {
        var received = Load(WireBytes(signed));
        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        return new DkimVerifier(dns).Verify(received, signature);
    }

    /// <summary>The tags of the DKIM-Signature header, whitespace removed from the values.</summary>
    public static Dictionary<string, string> Tags(MimeMessage signed)
    {
        var value = signed.Headers[HeaderId.DkimSignature] ?? throw new InvalidOperationException("The message is not signed.");
        return value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(tag => tag.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => new StringBuilder(kv[1]).Replace(" ", "").Replace("\t", "").Replace("\r", "").Replace("\n", "").ToString());
    }
}
