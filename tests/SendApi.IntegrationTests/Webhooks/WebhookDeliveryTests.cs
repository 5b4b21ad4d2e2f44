using System.Diagnostics;
using System.Net;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>
/// Mail sent through the API, delivered to the test MX, and its events POSTed to a real HTTP
/// receiver that checks every signature with its own Standard Webhooks implementation.
/// </summary>
public sealed class WebhookDeliveryTests(DeliveryWorld world) : WebhookReceiverTests(world), IClassFixture<DeliveryWorld>
{
    [Fact]
    public async Task A_delivered_message_produces_signed_queued_and_delivered_events_with_tags_and_metadata()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, secret) = await client.CreateWebhookAsync(Receiver.Url);
        var to = Unique("bob");

        var id = await client.SendAsync(Mail(to));
        await client.WaitForStatusAsync(id, Patience, "delivered");
        var received = await Receiver.WaitForAsync(r => r.Count >= 2, Patience, "message.queued and message.delivered");

        // Each event is its own job, so they may arrive in either order.
        received = [.. received.OrderBy(r => r.Type == "message.delivered")];
        Assert.Equal(["message.queued", "message.delivered"], received.Select(r => r.Type));
        Assert.All(received, r => Assert.True(StandardWebhooksVerifier.Verify(secret, r, DateTimeOffset.UtcNow), $"Bad signature on {r.Type}: {r.Signature}"));
        Assert.All(received, r => Assert.StartsWith("application/json", r.ContentType));
        Assert.Equal(2, received.Select(r => r.Id).Distinct().Count());

        var queued = received[0];
        Assert.Equal(id, queued.MessageId);
        Assert.Equal("queued", (string?)queued.Data["status"]);
        var delivered = received[1];
        Assert.Equal(id, delivered.MessageId);
        Assert.Equal(to, (string?)delivered.Data["recipient"]);
        Assert.Equal("delivered", (string?)delivered.Data["status"]);
        Assert.Equal(250, (int?)delivered.Data["smtp_code"]);
        Assert.StartsWith("250", (string?)delivered.Data["smtp_response"]);
        Assert.Contains("mx1.example.test[127.0.0.2]", (string?)delivered.Data["mx"]);
        Assert.NotNull((DateTimeOffset?)delivered.Json["created_at"]);
        foreach (var r in received)
        {
            Assert.Equal(["orders", "eu"], r.Data["tags"]!.AsArray().Select(t => (string)t!));
            Assert.Equal("1234", (string?)r.Data["metadata"]!["order_id"]);
        }

        // The delivery log says the same: both delivered at the first attempt, under the ids the receiver saw.
        var log = await client.WaitForDeliveryAsync(webhookId, d => (string?)d["event_type"] == "message.delivered" && (string?)d["status"] == "succeeded", Patience, "succeeded");
        Assert.Equal(delivered.Id, (string?)log["id"]);
        Assert.Equal(1, (int?)log["attempts"]);
        Assert.Equal(200, (int?)log["last_status_code"]);
        Assert.Equal(id, (string?)log["message_id"]);
    }

    [Fact]
    public async Task Only_subscribed_event_types_are_sent()
    {
        await using var app = App();
        var client = app.Client();
        var (deliveredOnly, _) = await client.CreateWebhookAsync(Receiver.Url, "message.delivered");
        // A witness subscribed to everything: once it has the last event, the dispatcher has handled both.
        await using var witness = await WebhookReceiver.StartAsync();
        await client.CreateWebhookAsync(witness.Url);
        var id = await client.SendAsync(Mail(Unique("sub")));

        await witness.WaitForAsync(r => r.Any(x => x.Type == "message.delivered"), Patience, "message.delivered");
        Assert.Equal("message.delivered", (string?)Assert.Single(await client.DeliveriesAsync(deliveredOnly))!["event_type"]);
        var received = await Receiver.WaitForAsync(r => r.Count > 0, Patience, "an event");
        Assert.Equal("message.delivered", Assert.Single(received).Type);
        Assert.Equal(id, received[0].MessageId);
    }

    [Fact]
    public async Task A_failing_endpoint_gets_the_retry_with_the_same_webhook_id()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, secret) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, earlier) => earlier == 0 ? new ReceiverAnswer(500) : ReceiverAnswer.Ok;

        await client.SendAsync(Mail(Unique("retry")));
        var received = await Receiver.WaitForAsync(r => r.Count >= 2, Patience, "the retry");

        Assert.Equal(2, received.Count);
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.Equal(received[0].Body, received[1].Body);
        Assert.All(received, r => Assert.True(StandardWebhooksVerifier.Verify(secret, r, DateTimeOffset.UtcNow)));
        // The schedule's first step is 1s here (Hangfire's due times have a resolution of one second).
        Assert.InRange(received[1].ReceivedAt - received[0].ReceivedAt, TimeSpan.Zero, TimeSpan.FromSeconds(5));

        var delivery = await client.WaitForDeliveryAsync(webhookId, d => (string?)d["status"] == "succeeded", Patience, "succeeded");
        Assert.Equal(received[0].Id, (string?)delivery["id"]);
        Assert.Equal(2, (int?)delivery["attempts"]);
        Assert.Equal([500, 200], delivery["history"]!.AsArray().Select(a => (int)a!["status_code"]!));
        Assert.StartsWith("HTTP 500", (string?)delivery["history"]![0]!["error"]);
        Assert.Null(delivery["next_retry_at"]);
    }

    [Fact]
    public async Task Retry_After_is_honoured_instead_of_the_schedule()
    {
        // The schedule alone would wait an hour.
        await using var app = App(new() { ["Webhooks:RetrySchedule"] = "1h" });
        var client = app.Client();
        await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, earlier) => earlier == 0
            ? new ReceiverAnswer(429, new Dictionary<string, string> { ["Retry-After"] = "1" })
            : ReceiverAnswer.Ok;

        await client.SendAsync(Mail(Unique("retry-after")));
        var received = await Receiver.WaitForAsync(r => r.Count >= 2, Patience, "the retry after Retry-After");
        Assert.Equal(received[0].Id, received[1].Id);
        // Never before the endpoint asked.
        Assert.InRange(received[1].ReceivedAt - received[0].ReceivedAt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Retries_stop_when_the_schedule_runs_out_and_the_delivery_fails()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, _) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, _) => new ReceiverAnswer(503);

        await client.SendAsync(Mail(Unique("give-up")));
        var delivery = await client.WaitForDeliveryAsync(webhookId, d => (string?)d["status"] == "failed", Patience, "failed");

        // The first attempt and one per step of the "1s,1s" schedule.
        Assert.Equal(3, (int?)delivery["attempts"]);
        Assert.Equal(3, Receiver.Received.Count);
        Assert.Null(delivery["next_retry_at"]);
    }

    [Fact]
    public async Task Gone_disables_the_endpoint_and_nothing_more_is_sent_to_it()
    {
        await using var app = App();
        var client = app.Client();
        var (goneId, _) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, _) => new ReceiverAnswer(410);

        await client.SendAsync(Mail(Unique("gone")));
        var failed = await client.WaitForDeliveryAsync(goneId, d => (string?)d["status"] == "failed", Patience, "failed");
        Assert.Equal(410, (int?)failed["last_status_code"]);
        Assert.Equal(1, (int?)failed["attempts"]);
        var webhook = await client.GetJsonAsync($"/webhooks/{goneId}");
        Assert.False((bool)webhook["enabled"]!);
        Assert.Contains("410 Gone", (string?)webhook["disabled_reason"]);

        // A second endpoint as a witness: once it has the next message's event, the dispatcher has
        // handled that event, and the disabled endpoint must have been passed over.
        await using var witness = await WebhookReceiver.StartAsync();
        await client.CreateWebhookAsync(witness.Url, "message.queued");
        var next = await client.SendAsync(Mail(Unique("after-gone")));
        await witness.WaitForAsync(r => r.Any(x => x.MessageId == next), Patience, "the next message's event");

        Assert.Single(Receiver.Received);
        Assert.Single(await client.DeliveriesAsync(goneId));
        using var replay = await client.PostAsync($"/webhooks/{goneId}/deliveries/{failed["id"]}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_does_not_delay_mail_delivery()
    {
        // One webhook worker, held by a request that outlasts the test.
        await using var app = App(new() { ["Webhooks:Timeout"] = "60s", ["Webhooks:Workers"] = "1" });
        var client = app.Client();
        var (webhookId, _) = await client.CreateWebhookAsync(Receiver.Url);
        Receiver.Answer = (_, _) => ReceiverAnswer.Hang;

        // Warm up (first JIT, first connections), then time messages while the endpoint hangs.
        await client.WaitForStatusAsync(await client.SendAsync(Mail(Unique("warm"))), Patience, "delivered");
        await Receiver.WaitForAsync(r => r.Count > 0, Patience, "a first, hanging request");
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            var id = await client.SendAsync(Mail(Unique($"fast{i}")));
            await client.WaitForStatusAsync(id, Patience, "delivered");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Delivery took {clock.Elapsed.TotalMilliseconds:0} ms while the webhook hung.");
        }

        // The hook was indeed still hanging the whole time: its first request has not been answered.
        Assert.Single(Receiver.Received);
        var deliveries = await client.DeliveriesAsync(webhookId);
        Assert.All(deliveries, d => Assert.Equal(0, (int?)d!["attempts"]));
    }

    [Fact]
    public async Task An_endpoint_that_times_out_is_recorded_and_retried()
    {
        await using var app = App(new() { ["Webhooks:Timeout"] = "500ms", ["Webhooks:RetrySchedule"] = "1h" });
        var client = app.Client();
        var (webhookId, _) = await client.CreateWebhookAsync(Receiver.Url, "message.queued");
        Receiver.Answer = (_, _) => ReceiverAnswer.Hang;

        await client.SendAsync(Mail(Unique("slow")));
        var delivery = await client.WaitForDeliveryAsync(webhookId, d => (int?)d["attempts"] == 1, Patience, "attempted");

        Assert.Equal("pending", (string?)delivery["status"]);
        Assert.Null(delivery["last_status_code"]);
        Assert.Contains("No answer within 0.5s", (string?)delivery["last_error"]);
        Assert.InRange((long)delivery["last_latency_ms"]!, 400, 5000);
        var nextRetry = (DateTimeOffset)delivery["next_retry_at"]!;
        Assert.InRange(nextRetry - (DateTimeOffset)delivery["last_attempt_at"]!, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
    }
}
