using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// A worker that got a remote 250 and died before recording its attempt noted the 250 first: the
/// worker that takes the message over records that recipient as delivered and sends only the rest.
/// </summary>
public sealed class NotedAcceptanceTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_recipient_whose_250_was_noted_before_the_worker_died_is_recorded_delivered_and_not_sent_again(bool onRedis)
    {
        await using var storage = await StorageUnderTest.StartAsync(onRedis);
        // No pump: nothing but the test claims until it enqueues the job that takes over.
        await using var app = new SendApiApp(world.Settings(storage.Settings()),
            services: s => s.Remove(s.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DeliveryPump")));
        var http = app.Client();
        var run = Guid.NewGuid().ToString("N")[..8];
        var (noted, other) = ($"noted-{run}@example.test", $"other-{run}@example.test");
        var id = await http.SendAsync(new { from = "a@acme.test", to = new[] { noted, other }, subject = "noted", text = "x" });

        // What the dead worker did: claimed the message, set both recipients sending, got the MX's
        // 250 for the first and noted it, then died; its lease has run out.
        var queue = app.Services.GetRequiredService<IDeliveryQueue>();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal([id], await queue.ClaimDueAsync("dead-worker", now, 10, now, CancellationToken.None));
        var sending = new RecipientState(RecipientStatus.Sending, 0, null, null, now);
        Assert.True(await queue.UpdateRecipientsAsync("dead-worker", id, [new RecipientUpdate(0, sending), new RecipientUpdate(1, sending)], CancellationToken.None));
        var ok = new SmtpReply(250, "2.0.0", "Ok: queued as NOTED1");
        queue.NoteAccepted(id, [(0, new MessageEvent(MessageEventTypes.Delivered, now, noted, $"{ok} (via mx1.example.test)", ok, "mx1.example.test[127.0.0.1]:25", 7))]);

        app.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<DeliveryJob>(j => j.RunAsync("take-over", (Hangfire.Server.PerformContext?)null, CancellationToken.None));
        var message = await http.WaitForStatusAsync(id, TimeSpan.FromSeconds(30), "delivered");

        Assert.Equal("delivered", (string?)message.Recipient(noted)["status"]);
        Assert.Equal("Ok: queued as NOTED1", (string?)message.Recipient(noted)["last_response"]!["text"]);
        Assert.Equal(2, message.Events("delivered").Count);
        await world.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10), m => m.RcptTos.Contains(other));
        Assert.DoesNotContain(world.Mx1.Messages, m => m.RcptTos.Contains(noted));
    }
}
