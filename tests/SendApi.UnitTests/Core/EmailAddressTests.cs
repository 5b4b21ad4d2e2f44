using SendApi.Core.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.UnitTests.Core;

/// <summary>The one address rule every intake (HTTP, SMTP, the suppression list) applies.</summary>
public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("bob@example.test")]
    [InlineData("Bob.O'Neil+tag@Example.TEST")]
    [InlineData("\"bob smith\"@example.test")]
    [InlineData("\"a\\\"b\"@example.test")]
    [InlineData("josé@exämple.test")]
    [InlineData("bob@[192.0.2.1]")]
    [InlineData("bob@[IPv6:2001:db8::1]")]
    [InlineData("bob@localhost")]
    [InlineData("bob@exa\u00a0mple.test")]
    [InlineData("bob@b-o-b.test")]
    public void Rfc_5321_mailboxes_are_addresses(string text) =>
        Assert.True(EmailAddress.TryParse(text, out _, out var error), error);

    [Theory]
    [InlineData("", "empty address")]
    [InlineData("bob", "missing '@domain'")]
    [InlineData("a..b@example.test", "bad local part")]
    [InlineData(".a@example.test", "bad local part")]
    [InlineData("a.\"b\"@example.test", "bad local part")]
    [InlineData("\"\"@example.test", "bad local part")]
    [InlineData("\"a\nb\"@example.test", "bad local part")]
    [InlineData("bob\n@example.test", "bad local part")]
    [InlineData("bob@example.test\n", "bad domain")]
    [InlineData("bob@-bad-.test", "bad domain")]
    [InlineData("bob@a:b.test", "bad domain")]
    [InlineData("bob@[999.1.1.1]", "bad domain")]
    [InlineData("bob@", "bad domain")]
    [InlineData("bob@a..test", "bad domain")]
    [InlineData("bob@example.test.", "bad domain")]
    [InlineData("bob@exa_mple.test", "bad domain")]
    [InlineData("bob@exa\u007fmple.test", "bad domain")]
    [InlineData("bob@exa\u009fmple.test", "bad domain")]
    public void What_is_not_a_mailbox_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(EmailAddress.TryParse(text, out _, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void A_domain_label_is_at_most_63_characters()
    {
        Assert.True(EmailAddress.TryParse("bob@" + new string('d', 63) + ".test", out _, out var fits), fits);
        Assert.False(EmailAddress.TryParse("bob@" + new string('d', 64) + ".test", out _, out var error));
        Assert.Equal("bad domain", error);
    }

    [Fact]
    public void The_local_part_is_at_most_64_octets()
    {
        Assert.True(EmailAddress.TryParse(new string('a', 64) + "@example.test", out _, out _));
        Assert.False(EmailAddress.TryParse(new string('a', 65) + "@example.test", out _, out var error));
        Assert.Equal("local part longer than 64 octets", error);

        // Octets, not characters: 33 two-octet letters are 66 octets.
        Assert.False(EmailAddress.TryParse(new string('é', 33) + "@example.test", out _, out _));
    }

    [Fact]
    public void The_address_is_at_most_254_octets()
    {
        // 60 + "@" + a 193-octet domain = 254.
        var domain = string.Join('.', Enumerable.Repeat(new string('d', 62), 3)) + ".test";
        Assert.Equal(193, domain.Length);
        Assert.True(EmailAddress.TryParse(new string('a', 60) + "@" + domain, out _, out var fits), fits);
        Assert.False(EmailAddress.TryParse(new string('a', 61) + "@" + domain, out _, out var error));
        Assert.Equal("address longer than 254 octets", error);
    }

    [Theory]
    [InlineData("\"bob\"@example.test", "bob@example.test")]
    [InlineData("\"b\\ob\"@example.test", "bob@example.test")]
    [InlineData("\"bob.smith\"@example.test", "bob.smith@example.test")]
    [InlineData("\"bob smith\"@example.test", "\"bob smith\"@example.test")]
    [InlineData("\"bob\\ smith\"@example.test", "\"bob smith\"@example.test")]
    [InlineData("\"a\\\"b\"@example.test", "\"a\\\"b\"@example.test")]
    [InlineData("\"bob.\"@example.test", "\"bob.\"@example.test")]
    [InlineData("Bob@Example.test", "Bob@Example.test")]
    public void The_canonical_form_drops_quotes_that_change_nothing(string text, string canonical)
    {
        Assert.True(EmailAddress.TryParse(text, out var address, out var error), error);
        Assert.Equal(canonical, address.Canonical);
    }

    [Theory]
    [InlineData("\"gone\"@example.test")]
    [InlineData("\"g\\one\"@Example.TEST")]
    [InlineData("  GONE@example.test ")]
    public void Suppression_keys_are_the_same_for_every_spelling_of_a_mailbox(string spelling) =>
        Assert.Equal("gone@example.test", SuppressionAddresses.Normalize(spelling));
}
