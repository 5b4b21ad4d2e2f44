using System.Security.Cryptography;
using SendApi.Core.Domains;

namespace SendApi.UnitTests.Dkim;

public sealed class DomainNamesTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("  Mail.Example.COM. ", "mail.example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("a-b.c0.io", "a-b.c0.io")]
    [InlineData("ｒｅｐｌｙ.acme.test", "reply.acme.test")]
    [InlineData("reply。acme．test", "reply.acme.test")]
    [InlineData("REPLY｡ＡＣＭＥ.test。", "reply.acme.test")]
    public void Normalizes_to_lower_case_ascii(string input, string expected)
    {
        Assert.True(DomainNames.TryNormalize(input, out var name));
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("192.168.1.10")]
    [InlineData("exa mple.com")]
    [InlineData("under_score.example")]
    [InlineData("-leading.example")]
    [InlineData("trailing-.example")]
    [InlineData("a..b.example")]
    [InlineData("orders@example.com")]
    [InlineData("example.com\r\nX: y")]
    public void Refuses_what_is_not_a_host_name(string input) =>
        Assert.False(DomainNames.TryNormalize(input, out _));

    [Fact]
    public void Refuses_a_label_over_63_octets_and_a_name_over_253() =>
        Assert.Multiple(
            () => Assert.True(DomainNames.TryNormalize(new string('a', 63) + ".example", out _)),
            () => Assert.False(DomainNames.TryNormalize(new string('a', 64) + ".example", out _)),
            () => Assert.False(DomainNames.TryNormalize(string.Join('.', Enumerable.Repeat(new string('a', 60), 5)), out _)));

    [Fact]
    public void Generated_key_is_rsa_2048_with_a_dated_selector_and_its_private_half_stays_out_of_ToString()
    {
        var key = DkimKey.Generate(new DateTimeOffset(2026, 11, 22, 23, 30, 0, TimeSpan.FromHours(-2)));

        Assert.Matches("^sa20261123-[0-9a-f]{4}$", key.Selector);
        Assert.Equal("rsa-sha256", key.Algorithm);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.PrivateKeyPem);
        Assert.Equal(2048, rsa.KeySize);
        Assert.Equal(key.PublicKey, Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));

        var printed = new SenderDomain("acct", "acme.test", DateTimeOffset.UnixEpoch, key).ToString();
        Assert.Contains(key.Selector, printed);
        Assert.DoesNotContain("PRIVATE KEY", printed);
        Assert.DoesNotContain(key.PrivateKeyPem.Split('\n')[1], printed);
    }
}
