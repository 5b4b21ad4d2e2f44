using Microsoft.Extensions.Logging.Abstractions;
using SendApi.Core.Messages;
using SendApi.Core.Webhooks;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;
using SendApi.Storage.Redis;
using SendApi.Webhooks;
using StackExchange.Redis;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>Webhooks with <c>ConnectionStrings:Redis</c> set: the outbox stream, the consumer group and Hangfire's scheduled retries on a real redis-server.</summary>
public sealed class WebhooksRedisTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private RedisServer _redis = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private SendApiApp App() => new(world.Settings(new()
    {
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Webhooks:RetrySchedule"] = "1s,1s",
        ["Webhooks:PollInterval"] = "50ms",
        ["Webhooks:SchedulePollingInterval"] = "200ms",
        ["Webhooks:ClaimTimeout"] = "1s",
    }));

    private static NewMessage Message(string account, string to)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, account, "a@acme.test", "a@acme.test", "written before start", [new RecipientAddress(to, RecipientKind.To)],
            ["early"], new Dictionary<string, string> { ["k"] = "v" }, DateTimeOffset.UtcNow, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "Subject: x\r\n\r\nx\r\n"u8.ToArray(), null);
    }

    [Fact]
    public async Task Events_are_delivered_signed_and_the_stream_is_drained()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, secret) = await client.CreateWebhookAsync(_receiver.Url);
        var to = $"redis-hook-{Guid.NewGuid():N}@example.test";

        var id = await client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "s", text = "x", tags = new[] { "t1" }, metadata = new Dictionary<string, string> { ["m"] = "1" } });
        var received = await _receiver.WaitForAsync(r => r.Count >= 2, Patience, "queued and delivered");

        Assert.Equal(["message.delivered", "message.queued"], received.Select(r => r.Type).Order());
        Assert.All(received, r => Assert.True(StandardWebhooksVerifier.Verify(secret, r, DateTimeOffset.UtcNow)));
        Assert.All(received, r => Assert.Equal(id, r.MessageId));
        Assert.All(received, r => Assert.Equal("1", (string?)r.Data["metadata"]!["m"]));
        await client.WaitForDeliveryAsync(webhookId, d => (string?)d["event_type"] == "message.delivered" && (string?)d["status"] == "succeeded", Patience, "succeeded");
        Assert.Equal(":0", await _redis.ExecuteAsync("XLEN", "sendapi:events"));
        Assert.Equal(":1", await _redis.ExecuteAsync("SISMEMBER", "sendapi:webhooks:accounts", "admin"));
    }

    [Fact]
    public async Task A_retry_is_scheduled_in_redis_and_reaches_the_endpoint_with_the_same_webhook_id()
    {
        await using var app = App();
        var client = app.Client();
        var (webhookId, _) = await client.CreateWebhookAsync(_receiver.Url, "message.queued");
        _receiver.Answer = (_, earlier) => earlier == 0 ? new ReceiverAnswer(502) : ReceiverAnswer.Ok;

        await client.SendAsync(new { from = "a@acme.test", to = new[] { $"r-{Guid.NewGuid():N}@example.test" }, subject = "s", text = "x" });
        var received = await _receiver.WaitForAsync(r => r.Count >= 2, Patience, "the retry");

        Assert.Equal(received[0].Id, received[1].Id);
        var delivery = await client.WaitForDeliveryAsync(webhookId, d => (string?)d["status"] == "succeeded", Patience, "succeeded");
        Assert.Equal(2, (int?)delivery["attempts"]);
    }

    [Fact]
    public async Task Events_written_before_any_instance_ran_survive_a_redis_restart_and_a_dead_dispatcher()
    {
        // Written straight into Redis as an instance would, then half-taken by a dispatcher that dies.
        var keys = new RedisKeys("sendapi:");
        using (var redis = await ConnectionMultiplexer.ConnectAsync($"{_redis.ConnectionString},protocol=resp2"))
        {
            var webhooks = new RedisWebhookStore(redis, keys);
            await webhooks.CreateAsync(new Webhook("wh_early", "admin", _receiver.Url, ["message.queued", "message.delivered"], DateTimeOffset.UtcNow, WebhookSecrets.Generate()), default);
            var messages = new RedisMessageStore(redis, keys);
            await messages.AcceptAsync(Message("admin", $"early1-{Guid.NewGuid():N}@example.test"), default);
            await messages.AcceptAsync(Message("admin", $"early2-{Guid.NewGuid():N}@example.test"), default);
            var dead = new RedisWebhookOutbox(redis, keys, NullLogger<RedisWebhookOutbox>.Instance);
            Assert.Single(await dead.ReadAsync("dead-instance", 1, default));
        }

        await _redis.RestartAsync();
        Assert.Equal(":2", await _redis.ExecuteAsync("XLEN", "sendapi:events"));

        await using var app = App();
        app.Client();
        var received = await _receiver.WaitForAsync(
            r => r.Count(x => x.Type == "message.queued") >= 2 && r.Count(x => x.Type == "message.delivered") >= 2, Patience, "both messages' events");

        Assert.Equal(2, received.Where(r => r.Type == "message.queued").Select(r => r.MessageId).Distinct().Count());
        Assert.All(received, r => Assert.Equal("early", (string?)r.Data["tags"]![0]));
    }
}
