using System.Text.Json.Nodes;
using SendApi.Core.Messages;
using SendApi.Core.Webhooks;
using SendApi.Webhooks;

namespace SendApi.UnitTests.Webhooks;

public sealed class WebhookPayloadTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static MessageEnvelope Envelope() => new(
        "m1", "acct", "a@acme.test", "A <a@acme.test>", "s", [new RecipientAddress("bob@example.test", RecipientKind.To)],
        ["orders", "eu"], new Dictionary<string, string> { ["OrderId"] = "1234" }, At, "m1@sendapi.test", 10);

    [Fact]
    public void A_delivered_event_carries_the_reply_the_mx_and_the_messages_tags_and_metadata()
    {
        var reply = new SmtpReply(250, "2.0.0", "Ok: queued as 42");
        var e = WebhookEvent.ForMessage("1-0", Envelope(), new MessageEvent(MessageEventTypes.Delivered, At, "bob@example.test", "250 2.0.0 Ok", reply, "mx1.example.test[127.0.0.2]:25 Tls13"));

        var json = JsonNode.Parse(WebhookPayload.Serialize(e))!;

        Assert.Equal("message.delivered", (string?)json["type"]);
        Assert.Equal(At, (DateTimeOffset?)json["created_at"]);
        var data = json["data"]!;
        Assert.Equal("m1", (string?)data["message_id"]);
        Assert.Equal("delivered", (string?)data["status"]);
        Assert.Equal("bob@example.test", (string?)data["recipient"]);
        Assert.Equal(250, (int?)data["smtp_code"]);
        Assert.Equal("2.0.0", (string?)data["smtp_enhanced_code"]);
        Assert.Equal("250 2.0.0 Ok: queued as 42", (string?)data["smtp_response"]);
        Assert.Equal("mx1.example.test[127.0.0.2]:25 Tls13", (string?)data["mx"]);
        Assert.Equal(["orders", "eu"], data["tags"]!.AsArray().Select(t => (string)t!));
        // Metadata keys are the client's own and keep their case.
        Assert.Equal("1234", (string?)data["metadata"]!["OrderId"]);
    }

    [Fact]
    public void A_queued_event_has_no_recipient_or_reply_fields()
    {
        var e = WebhookEvent.ForMessage("1-0", Envelope(), new MessageEvent(MessageEventTypes.Queued, At, null, "1 recipient(s)"));

        var data = JsonNode.Parse(WebhookPayload.Serialize(e))!["data"]!.AsObject();

        Assert.Equal("message.queued", e.Type);
        Assert.False(data.ContainsKey("recipient"));
        Assert.False(data.ContainsKey("smtp_code"));
        Assert.Equal("1 recipient(s)", (string?)data["detail"]);
    }

    [Fact]
    public void Delivery_ids_are_stable_per_event_and_endpoint()
    {
        Assert.Equal(WebhookDelivery.IdFor("1-0", "wh_a"), WebhookDelivery.IdFor("1-0", "wh_a"));
        Assert.NotEqual(WebhookDelivery.IdFor("1-0", "wh_a"), WebhookDelivery.IdFor("1-0", "wh_b"));
        Assert.NotEqual(WebhookDelivery.IdFor("1-0", "wh_a"), WebhookDelivery.IdFor("1-1", "wh_a"));
        Assert.Matches("^msg_[0-9a-f]{32}$", WebhookDelivery.IdFor("1-0", "wh_a"));
    }
}
