using SendApi.Core.Messages;

namespace SendApi.UnitTests.Core;

public sealed class MessageStatusTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RecipientState S(RecipientStatus status) => new(status, 1, null, null, At);

    [Theory]
    [InlineData(MessageStatus.Queued, RecipientStatus.Queued, RecipientStatus.Queued)]
    [InlineData(MessageStatus.Sending, RecipientStatus.Sending, RecipientStatus.Delivered)]
    [InlineData(MessageStatus.Sending, RecipientStatus.Queued, RecipientStatus.Delivered)]
    [InlineData(MessageStatus.Deferred, RecipientStatus.Deferred, RecipientStatus.Delivered)]
    [InlineData(MessageStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.Delivered)]
    [InlineData(MessageStatus.PartiallyDelivered, RecipientStatus.Delivered, RecipientStatus.Failed)]
    [InlineData(MessageStatus.Failed, RecipientStatus.Failed, RecipientStatus.Bounced)]
    [InlineData(MessageStatus.Bounced, RecipientStatus.Bounced, RecipientStatus.Bounced)]
    public void Overall_status_follows_the_recipients(string expected, RecipientStatus a, RecipientStatus b) =>
        Assert.Equal(expected, MessageStatus.Of([S(a), S(b)]));
}
