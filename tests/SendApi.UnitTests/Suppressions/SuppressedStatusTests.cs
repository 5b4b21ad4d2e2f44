using SendApi.Core.Messages;

namespace SendApi.UnitTests.Suppressions;

public sealed class SuppressedStatusTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RecipientState S(RecipientStatus status) => new(status, 0, null, null, At);

    [Fact]
    public void Suppressed_is_final_so_delivery_never_attempts_it() => Assert.True(RecipientStatus.Suppressed.IsFinal());

    [Theory]
    [InlineData(MessageStatus.Suppressed, RecipientStatus.Suppressed, RecipientStatus.Suppressed)]
    [InlineData(MessageStatus.Queued, RecipientStatus.Queued, RecipientStatus.Suppressed)]
    [InlineData(MessageStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.Suppressed)]
    [InlineData(MessageStatus.Failed, RecipientStatus.Failed, RecipientStatus.Suppressed)]
    [InlineData(MessageStatus.Deferred, RecipientStatus.Deferred, RecipientStatus.Suppressed)]
    public void Suppressed_recipients_do_not_weigh_in_the_others_summary(string expected, RecipientStatus a, RecipientStatus b) =>
        Assert.Equal(expected, MessageStatus.Of([S(a), S(b)]));
}
