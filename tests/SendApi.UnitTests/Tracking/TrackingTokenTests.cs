using SendApi.Api.Features.Tracking;
using SendApi.Core.Messages;

namespace SendApi.UnitTests.Tracking;

public sealed class TrackingTokenTests
{
    private static readonly TrackingKey Key = new("0123456789abcdef0123456789abcdef"u8);
    private static readonly TrackingKey OtherKey = new("fedcba9876543210fedcba9876543210"u8);
    private static readonly string Id = MessageIds.New();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 49)]
    [InlineData(1, 999)]
    public void A_token_decodes_to_what_was_encoded(int kindNumber, int recipient)
    {
        var kind = (TokenKind)kindNumber;
        var text = new TrackingToken(kind, Id, recipient).Encode(Key);

        Assert.True(TrackingToken.TryDecode(text, Key, out var token));
        Assert.Equal(new TrackingToken(kind, Id, recipient), token);
    }

    [Fact]
    public void A_click_token_carries_its_link_index_and_url()
    {
        var url = "https://shop.example/p?id=7&ref=mail#top ünïcode";
        var text = new TrackingToken(TokenKind.Click, Id, 3, 12, url).Encode(Key);

        Assert.True(TrackingToken.TryDecode(text, Key, out var token));
        Assert.Equal(new TrackingToken(TokenKind.Click, Id, 3, 12, url), token);
    }

    [Fact]
    public void A_token_is_url_safe_lower_case_and_an_unsubscribe_token_fits_a_mailto_local_part()
    {
        var text = new TrackingToken(TokenKind.Unsubscribe, Id, 999).Encode(Key);

        Assert.Matches("^[a-z2-7]+$", text);
        Assert.True(("unsubscribe+" + text).Length <= 64, $"local part of {("unsubscribe+" + text).Length} octets");
    }

    [Fact]
    public void Upper_case_reads_as_the_same_token_since_an_mta_may_fold_a_local_part()
    {
        var text = new TrackingToken(TokenKind.Unsubscribe, Id, 1).Encode(Key);

        Assert.True(TrackingToken.TryDecode(text.ToUpperInvariant(), Key, out var token));
        Assert.Equal(1, token.Recipient);
    }

    [Fact]
    public void Every_single_character_change_is_refused()
    {
        var text = new TrackingToken(TokenKind.Click, Id, 2, 1, "https://a.example/x").Encode(Key);
        for (var i = 0; i < text.Length; i++)
        {
            var changed = text[..i] + (text[i] == 'a' ? 'b' : 'a') + text[(i + 1)..];
            Assert.False(TrackingToken.TryDecode(changed, Key, out _), $"changed at {i}");
        }
    }

    [Fact]
    public void A_token_signed_with_another_key_is_refused()
    {
        var text = new TrackingToken(TokenKind.Open, Id, 0).Encode(OtherKey);

        Assert.False(TrackingToken.TryDecode(text, Key, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("not-base32!")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Garbage_is_refused(string text) => Assert.False(TrackingToken.TryDecode(text, Key, out _));

    [Fact]
    public void A_token_longer_than_the_limit_is_refused_unread() =>
        Assert.False(TrackingToken.TryDecode(new string('a', TrackingToken.MaxLength + 1), Key, out _));

    [Fact]
    public void A_truncated_or_extended_token_is_refused()
    {
        var text = new TrackingToken(TokenKind.Unsubscribe, Id, 5).Encode(Key);

        Assert.False(TrackingToken.TryDecode(text[..^1], Key, out _));
        Assert.False(TrackingToken.TryDecode(text + "a", Key, out _));
        Assert.False(TrackingToken.TryDecode(text + "aaaaaaaa", Key, out _));
    }
}
