using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Inbound;

/// <summary>
/// Signed return paths across instances and restarts on one Redis: every instance signs with the
/// same key, and the return paths of messages sent before signing began (unsigned) keep working
/// until those messages expire, while an unsigned one for a newer message is refused.
/// </summary>
public sealed class SignedReturnPathRedisTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private const string ReturnPathDomain = "bounces.sendapi.test";

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private SendApiApp App() => new(world.Settings(new()
    {
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        ["Delivery:ReturnPathDomain"] = ReturnPathDomain,
    }));

    [Fact]
    public async Task A_return_path_signed_by_one_instance_is_honoured_by_another()
    {
        await using var sender = App();
        await using var receiver = App();
        var receiverHttp = receiver.Client();
        var sent = await InboundSmtp.SendAndDeliverAsync(sender.Client(), world, "hana", "orders@acme.test", "Your order", "Thanks");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);

        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(receiver.InboundPort, "", sent.ReturnPath, dsn));

        var message = await receiverHttp.GetMessageAsync(sent.Id);
        Assert.Equal("bounced", (string?)message.Recipient(sent.Recipient)["status"]);
    }

    [Fact]
    public async Task The_unsigned_return_path_of_a_message_sent_before_signing_began_is_still_honoured()
    {
        InboundSmtp.Sent old;
        await using (var before = App())
        {
            old = await InboundSmtp.SendAndDeliverAsync(before.Client(), world, "ivan", "orders@acme.test", "Your order", "Thanks");
        }

        // As if that message had been sent by the version before signing: this store has never
        // seen signing, and the next start is the cut-over.
        Assert.Equal(":1", await _redis.ExecuteAsync("DEL", "sendapi:returnpath"));
        await using var after = App();
        var http = after.Client();
        var unsigned = $"bounces+{old.Id}-0@{ReturnPathDomain}";
        var fresh = await InboundSmtp.SendAndDeliverAsync(http, world, "jana", "orders@acme.test", "Your order", "Thanks");

        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", unsigned, old.MessageIdHeader, "carol@example.org", old.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(after.InboundPort, "", unsigned, dsn));
        Assert.Equal("bounced", (string?)(await http.GetMessageAsync(old.Id)).Recipient(old.Recipient)["status"]);

        // The new message's return path is signed: its unsigned spelling is an invention.
        Assert.StartsWith("550 5.1.1", (await InboundSmtp.TryRecipientAsync(after.InboundPort, $"bounces+{fresh.Id}-0@{ReturnPathDomain}")).Rcpt);
        Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(after.InboundPort, fresh.ReturnPath)).Rcpt);
    }
}
