using System.Net;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>Secret rotation (two signatures during the grace period) and manual replay from the delivery log.</summary>
public sealed class WebhookRotationAndReplayTests(DeliveryWorld world) : WebhookReceiverTests(world), IClassFixture<DeliveryWorld>
{
    private const string UnrelatedSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task During_a_rotation_requests_carry_a_signature_for_each_secret()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, oldSecret) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        using var rotate = await client.PostAsync($"/webhooks/{webhookId}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var rotated = JsonNode.Parse(await rotate.Content.ReadAsStringAsync())!;
        var newSecret = (string)rotated["secret"]!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.InRange((DateTimeOffset)rotated["previous_secret_expires_at"]! - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));

        await client.SendAsync(Mail(Unique("rotate")));
        var request = (await Receiver.WaitForAsync(r => r.Count > 0, Patience, "an event"))[0];

        Assert.Equal(2, request.Signature.Split(' ').Length);
        Assert.True(StandardWebhooksVerifier.Verify(newSecret, request, DateTimeOffset.UtcNow));
        Assert.True(StandardWebhooksVerifier.Verify(oldSecret, request, DateTimeOffset.UtcNow));
        Assert.False(StandardWebhooksVerifier.Verify(UnrelatedSecret, request, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task After_the_grace_period_only_the_new_secret_signs()
    {
        await using var app = App(new() { ["Webhooks:RotationGracePeriod"] = "0s" });
        var client = app.Client();
        var (webhookId, oldSecret) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        using var rotate = await client.PostAsync($"/webhooks/{webhookId}/rotate-secret", null);
        var newSecret = (string)JsonNode.Parse(await rotate.Content.ReadAsStringAsync())!["secret"]!;

        await client.SendAsync(Mail(Unique("rotated")));
        var request = (await Receiver.WaitForAsync(r => r.Count > 0, Patience, "an event"))[0];

        Assert.Single(request.Signature.Split(' '));
        Assert.True(StandardWebhooksVerifier.Verify(newSecret, request, DateTimeOffset.UtcNow));
        Assert.False(StandardWebhooksVerifier.Verify(oldSecret, request, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_delivery_can_be_replayed_by_hand_with_the_same_webhook_id()
    {
        // Retries an hour apart: only the manual replay can bring the second attempt.
        await using var app = App(new() { ["Webhooks:RetrySchedule"] = "1h" });
        var client = app.Client();
        var (webhookId, secret) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, _) => new ReceiverAnswer(500);
        var messageId = await client.SendAsync(Mail(Unique("replay")));
        var failed = await client.WaitForDeliveryAsync(webhookId, d => (int?)d["attempts"] == 1, Patience, "attempted once");
        Assert.Equal("pending", (string?)failed["status"]);
        Assert.Equal(500, (int?)failed["last_status_code"]);
        Assert.Equal(messageId, (string?)failed["message_id"]);
        Assert.NotNull(failed["next_retry_at"]);

        Receiver.Answer = (_, _) => ReceiverAnswer.Ok;
        var deliveryId = (string)failed["id"]!;
        using var retry = await client.PostAsync($"/webhooks/{webhookId}/deliveries/{deliveryId}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);

        var received = await Receiver.WaitForAsync(r => r.Count >= 2, Patience, "the replay");
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.True(StandardWebhooksVerifier.Verify(secret, received[1], DateTimeOffset.UtcNow));
        var replayed = await client.WaitForDeliveryAsync(webhookId, d => (string?)d["status"] == "succeeded", Patience, "succeeded");
        Assert.Equal(2, (int?)replayed["attempts"]);
        Assert.Equal([false, true], replayed["history"]!.AsArray().Select(a => (bool)a!["manual"]!));

        using var missing = await client.PostAsync($"/webhooks/{webhookId}/deliveries/msg_nope/retry", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
