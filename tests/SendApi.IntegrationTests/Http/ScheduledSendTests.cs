using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Queue;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// scheduled_at and POST /messages/{id}/cancel on both stores, end to end: accepted now, out at
/// its time, canceled before it (status, event, message.canceled webhook, search, stats, queue page).
/// </summary>
public abstract class ScheduledSendTests(DeliveryWorld world) : OnBothStorages(world), IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private WebhookReceiver _receiver = null!;

    public override async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    // Re-implements IAsyncLifetime's DisposeAsync, which the base class does not make virtual.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        settings["Webhooks:PollInterval"] = "50ms";
    }

    private static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";

    private static object Scheduled(string to, DateTimeOffset at, string tag = "scheduled") =>
        new { from = "a@acme.test", to = new[] { to }, subject = "Later", text = "x", tags = new[] { tag }, scheduled_at = at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture) };

    [Fact]
    public async Task A_scheduled_message_is_accepted_now_and_goes_out_at_its_time_not_before()
    {
        var to = Unique("later");
        var at = DateTimeOffset.UtcNow.AddSeconds(3);

        var id = await Http.SendAsync(Scheduled(to, at));

        var waiting = await Http.GetMessageAsync(id);
        Assert.Equal("queued", (string?)waiting["status"]);
        Assert.Equal(at.ToUnixTimeMilliseconds(), ((DateTimeOffset)waiting["scheduled_at"]!).ToUnixTimeMilliseconds());
        var delivered = await Http.WaitForStatusAsync(id, Patience, "delivered");
        var received = (await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.True((DateTimeOffset)delivered.Events("delivered").Single()["at"]! >= at, "delivered before its scheduled time");
        Assert.NotNull(received);
    }

    [Fact]
    public async Task Canceling_a_scheduled_message_stops_it_and_says_canceled_in_status_event_webhook_search_and_stats()
    {
        await Http.CreateWebhookAsync(_receiver.Url, "message.canceled");
        var tag = $"t{Guid.NewGuid():N}";
        var to = Unique("never");
        var id = await Http.SendAsync(Scheduled(to, DateTimeOffset.UtcNow.AddHours(1), tag));

        using var response = await Http.PostAsync($"/messages/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("canceled", (string?)message["status"]);
        Assert.Equal("canceled", (string?)message.Recipient(to)["status"]);
        Assert.Contains("Canceled by its sender", (string?)message.Events("canceled").Single()["detail"]);
        var hook = Assert.Single(await _receiver.WaitForAsync(r => r.Count >= 1, Patience, "message.canceled"));
        Assert.Equal(("message.canceled", id, to), (hook.Type, hook.MessageId, (string?)hook.Data["recipient"]));
        var found = JsonNode.Parse(await Http.GetStringAsync($"/messages?status=canceled&tag={tag}"))!["data"]!.AsArray();
        Assert.Equal(id, (string?)Assert.Single(found)!["id"]);
        var stats = JsonNode.Parse(await Http.GetStringAsync($"/stats?interval=hour&tag={tag}"))!;
        Assert.Equal(1, (int)stats["totals"]!["canceled"]!);

        using var again = await Http.PostAsync($"/messages/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Nothing left to cancel", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_delivered_message_has_nothing_to_cancel_and_another_accounts_message_is_not_found()
    {
        var id = await Http.SendAsync(new { from = "a@acme.test", to = new[] { Unique("now") }, subject = "Now", text = "x" });
        await Http.WaitForStatusAsync(id, Patience, "delivered");

        using var finished = await Http.PostAsync($"/messages/{id}/cancel", null);
        using var other = await App.Client(await App.CreateKeyAsync("acct-other")).PostAsync($"/messages/{id}/cancel", null);
        using var unknown = await Http.PostAsync("/messages/nope/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, finished.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("delivered", (string?)(await Http.GetMessageAsync(id))["status"]);
    }

    [Fact]
    public async Task A_scheduled_time_in_the_past_or_too_far_ahead_is_a_400_on_the_field_in_send_and_batch()
    {
        using var past = await Http.PostAsJsonAsync("/messages", Scheduled(Unique("p"), DateTimeOffset.UtcNow.AddMinutes(-5)));
        using var far = await Http.PostAsJsonAsync("/messages", Scheduled(Unique("f"), DateTimeOffset.UtcNow.AddHours(73)));
        using var batch = await Http.PostAsJsonAsync("/messages/batch", new[] { Scheduled(Unique("b"), DateTimeOffset.UtcNow.AddHours(1)), Scheduled(Unique("b"), DateTimeOffset.UtcNow.AddDays(4)) });

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (past.StatusCode, far.StatusCode));
        Assert.Contains("in the past", (string?)JsonNode.Parse(await past.Content.ReadAsStringAsync())!["errors"]!["scheduled_at"]![0]);
        Assert.Contains("ahead", (string?)JsonNode.Parse(await far.Content.ReadAsStringAsync())!["errors"]!["scheduled_at"]![0]);
        var results = JsonNode.Parse(await batch.Content.ReadAsStringAsync())!.AsArray();
        Assert.NotNull((string?)results[0]!["id"]);
        Assert.Contains("ahead", (string?)results[1]!["errors"]!["[1].scheduled_at"]![0]);
    }

    [Fact]
    public async Task The_queue_page_counts_a_scheduled_message_as_scheduled_and_its_cancel_uses_the_same_status()
    {
        var id = await Http.SendAsync(Scheduled(Unique("page"), DateTimeOffset.UtcNow.AddHours(2)));
        using var browser = new OperatorBrowser(App);

        var before = await browser.GetPageAsync("/hangfire/mail");
        Assert.Contains("<tr id=\"scheduled\"><th>Scheduled for later</th><td class=\"value\"><strong>1</strong>", before);
        Assert.Contains("<tr id=\"due-now\"><th>Due now</th><td class=\"value\"><strong>0</strong>", before);
        var page = await browser.GetPageAsync($"/hangfire/mail/messages/{id}");
        await browser.PostAsync($"/hangfire/mail/messages/{id}/cancel", tokenFrom: page);

        Assert.Equal("canceled", (string?)(await Http.GetMessageAsync(id))["status"]);
        Assert.Contains("<tr id=\"scheduled\"><th>Scheduled for later</th><td class=\"value\"><strong>0</strong>", await browser.GetPageAsync("/hangfire/mail"));
    }
}

public sealed class EmbeddedScheduledSendTests(DeliveryWorld world) : ScheduledSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisScheduledSendTests(DeliveryWorld world) : ScheduledSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
