using SendApi.Core.Messages;

namespace SendApi.UnitTests.Core;

public sealed class MessageVariantsTests
{
    private static NewMessage Message(int recipients) =>
        new(new MessageEnvelope(
                "m1", "acct", "a@acme.test", "a@acme.test", "s",
                [.. Enumerable.Range(0, recipients).Select(i => new RecipientAddress($"r{i}@example.test", RecipientKind.To))],
                [], new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, "m1@sendapi.test", 3),
            "base"u8.ToArray(), null);

    [Fact]
    public void Without_variants_every_recipient_receives_the_base()
    {
        var variants = MessageVariants.None;

        Assert.Equal([0, 0, 0], Enumerable.Range(0, 3).Select(variants.Of));
        Assert.Equal("base"u8.ToArray(), variants.Body(0, "base"u8.ToArray()).ToArray());
    }

    [Fact]
    public void Each_recipient_receives_the_variant_it_names_and_recipients_may_share_one()
    {
        var variants = new MessageVariants(["one"u8.ToArray(), "two"u8.ToArray()], [2, 0, 1, 2]);

        Assert.Equal(["two", "base", "one", "two"],
            Enumerable.Range(0, 4).Select(i => System.Text.Encoding.ASCII.GetString(variants.Body(variants.Of(i), "base"u8.ToArray()).Span)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void A_recipient_naming_a_variant_that_does_not_exist_is_refused(int variant)
    {
        var error = Assert.Throws<ArgumentException>(() => new MessageVariants(["one"u8.ToArray(), "two"u8.ToArray()], [0, variant]));

        Assert.Contains($"names variant {variant}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bodies_without_recipients_or_recipients_without_bodies_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new MessageVariants(["one"u8.ToArray()], []));
        Assert.Throws<ArgumentException>(() => new MessageVariants([], [0, 0]));
    }

    [Fact]
    public void A_new_message_s_variants_must_name_every_recipient_of_its_envelope()
    {
        var variants = new MessageVariants(["one"u8.ToArray()], [0, 1]);

        var error = Assert.Throws<ArgumentException>(() => Message(recipients: 3) with { Variants = variants });

        Assert.Contains("the envelope has 3", error.Message, StringComparison.Ordinal);
        Assert.Same(variants, (Message(recipients: 2) with { Variants = variants }).Variants);
    }
}
