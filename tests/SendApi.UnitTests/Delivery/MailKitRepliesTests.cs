using SendApi.Delivery.Transport;

namespace SendApi.UnitTests.Delivery;

public sealed class MailKitRepliesTests
{
    [Fact]
    public void Splits_the_enhanced_status_code_off_the_text()
    {
        var reply = MailKitReplies.From(550, "5.1.1 No such user");
        Assert.Equal(550, reply.Code);
        Assert.Equal("5.1.1", reply.EnhancedCode);
        Assert.Equal("No such user", reply.Text);
        Assert.True(reply.IsPermanent);
        Assert.Equal("550 5.1.1 No such user", reply.ToString());
    }

    [Fact]
    public void Keeps_text_without_an_enhanced_code_whole()
    {
        var reply = MailKitReplies.From(451, "Try again later");
        Assert.Null(reply.EnhancedCode);
        Assert.Equal("Try again later", reply.Text);
        Assert.True(reply.IsTransient);
    }
}
