using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Queue;

/// <summary>
/// The mail queue pages inside /hangfire, over HTTP on both stores: what a deferred domain looks
/// like, cancelling through the page, the admin key and antiforgery token every action needs, and
/// a delivery job whose mail all failed saying so in its result.
/// </summary>
public abstract partial class QueuePageTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // No retry falls due during a test: whatever goes out again does so because of the page.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Delivery:RetrySchedule"] = "1h";

    private static object Message(params string[] to) => new { from = "a@acme.test", to, subject = "queue <page> & co", text = "x" };

    [GeneratedRegex("""<tr data-domain="example\.test">(?<row>.*?)</tr>""", RegexOptions.Singleline)]
    private static partial Regex ExampleTestRow();

    [GeneratedRegex("""<td class="throttle">(?<cell>.*?)</td>""", RegexOptions.Singleline)]
    private static partial Regex ThrottleCell();

    [GeneratedRegex("""^<span class="label label-warning">(?<factor>[^<]*)</span> until <time datetime="(?<until>[^"]+)">""")]
    private static partial Regex Slowdown();

    [GeneratedRegex("""<table id="timeline".*?<tbody>(?<rows>.*?)</tbody>""", RegexOptions.Singleline)]
    private static partial Regex Timeline();

    [GeneratedRegex("""<tr><td><time datetime="(?<at>[^"]+)">[^<]*</time></td><td class="event">(?<event>[^<]*)</td><td>(?<recipient>[^<]*)</td><td>(?:<code>(?<reply>[^<]*)</code>)?</td><td>(?<mx>[^<]*)</td><td class="detail">(?<detail>[^<]*)</td></tr>""")]
    private static partial Regex TimelineRow();

    /// <summary>The throttle cell of <paramref name="domain"/>'s row in the domains table.</summary>
    private static string ThrottleOf(string page, string domain)
    {
        var row = Regex.Match(page, $"<tr data-domain=\"{Regex.Escape(domain)}\">(?<row>.*?)</tr>", RegexOptions.Singleline);
        Assert.True(row.Success, $"no row for {domain} in the domains table");
        return ThrottleCell().Match(row.Groups["row"].Value).Groups["cell"].Value;
    }

    /// <summary>One row of a message page's timeline, as an operator reads it.</summary>
    private sealed record TimelineEntry(DateTimeOffset At, string Event, string Recipient, string Reply, string Mx, string Detail);

    private static List<TimelineEntry> TimelineOf(string page)
    {
        var table = Timeline().Match(page);
        Assert.True(table.Success, "the message page has no timeline table");
        var rows = table.Groups["rows"].Value;
        var entries = TimelineRow().Matches(rows).Select(m => new TimelineEntry(
            DateTimeOffset.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture),
            WebUtility.HtmlDecode(m.Groups["event"].Value),
            WebUtility.HtmlDecode(m.Groups["recipient"].Value),
            WebUtility.HtmlDecode(m.Groups["reply"].Value),
            WebUtility.HtmlDecode(m.Groups["mx"].Value),
            WebUtility.HtmlDecode(m.Groups["detail"].Value))).ToList();
        // Every row was understood: none is skipped by a pattern that no longer fits the page.
        Assert.Equal(Regex.Matches(rows, "<tr>").Count, entries.Count);
        return entries;
    }

    /// <summary>Polls the message until each recipient has the status named; returns it.</summary>
    private async Task<JsonNode> WaitForRecipientsAsync(string id, params (string Address, string Status)[] expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var message = await Http.GetMessageAsync(id);
            if (expected.All(e => (string?)message.Recipient(e.Address)["status"] == e.Status))
            {
                return message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The recipients of {id} did not reach {string.Join(", ", expected)}: {message.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    private async Task<string> DeferredAsync(string to)
    {
        var id = await Http.SendAsync(Message(to));
        await Http.WaitForStatusAsync(id, Patience, "deferred");
        return id;
    }

    [Fact]
    public async Task A_deferred_domain_is_listed_with_its_count_and_last_reply()
    {
        await DeferredAsync($"defer-always-{Guid.NewGuid():N}@example.test");
        await DeferredAsync($"defer-always-{Guid.NewGuid():N}@example.test");
        using var browser = new OperatorBrowser(App);

        var page = await browser.GetPageAsync("/hangfire/mail");

        var row = ExampleTestRow().Match(page).Groups["row"].Value;
        Assert.Contains("<td class=\"deferred\">2</td>", row);
        Assert.Contains("<td class=\"queued\">2</td>", row);
        Assert.Contains("451 4.3.0 Try again later", row);
        Assert.Contains("<tr id=\"deferred\"><th>Deferred</th><td class=\"value\"><strong>2</strong>", page);
        Assert.Contains("<tr id=\"scheduled\"><th>Scheduled for later</th><td class=\"value\"><strong>2</strong>", page);
        Assert.Matches("""<li class="active">\s*<a href="/hangfire/mail">\s*Mail queue""", page);
    }

    [Fact]
    public async Task A_domain_that_asked_to_slow_down_shows_its_factor_and_until_when_and_the_others_full_speed()
    {
        var sending = DateTimeOffset.UtcNow;
        // 421 4.7.28 (Gmail's "unusual rate"): the built-in gmail-rate rule halves the domain's limits for 10 minutes.
        await DeferredAsync($"ratelimit-once-{Guid.NewGuid():N}@example.test");
        await DeferredAsync($"defer-always-{Guid.NewGuid():N}@throttled.test");
        using var browser = new OperatorBrowser(App);

        var page = await browser.GetPageAsync("/hangfire/mail");

        var slowed = Slowdown().Match(ThrottleOf(page, "example.test"));
        Assert.True(slowed.Success, ThrottleOf(page, "example.test"));
        Assert.Equal("50 %", slowed.Groups["factor"].Value);
        var until = DateTimeOffset.Parse(slowed.Groups["until"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(until, sending + TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        // A plain 451 is no request to slow down.
        Assert.Equal("100 %", ThrottleOf(page, "throttled.test"));
    }

    [Fact]
    public async Task The_message_page_shows_its_timeline_each_event_with_recipient_reply_mx_and_detail()
    {
        // Three domains, three transactions: a 421 closes its transaction, so the delivered one is elsewhere.
        var delivered = $"ok-{Guid.NewGuid():N}@afallback.test";
        var slowed = $"ratelimit-once-{Guid.NewGuid():N}@example.test";
        var refused = $"reject-{Guid.NewGuid():N}@rejecting.test";
        var id = await Http.SendAsync(Message(delivered, slowed, refused));
        var events = (await WaitForRecipientsAsync(id, (delivered, "delivered"), (slowed, "deferred"), (refused, "failed")))["events"]!.AsArray();
        using var browser = new OperatorBrowser(App);

        var timeline = TimelineOf(await browser.GetPageAsync($"/hangfire/mail/messages/{id}"));

        // The page shows the same timeline as the status API, in its order.
        Assert.Equal(events.Select(e => ((string)e!["type"]!, (string?)e["recipient"] ?? "")), timeline.Select(e => (e.Event, e.Recipient)));
        Assert.Equal(timeline.OrderBy(e => e.At).Select(e => e.At), timeline.Select(e => e.At));
        Assert.Contains(timeline, e => e.Event == "queued");

        var ok = Assert.Single(timeline, e => e.Event == "delivered");
        Assert.Equal(delivered, ok.Recipient);
        Assert.StartsWith("250 ", ok.Reply, StringComparison.Ordinal);
        Assert.Contains("127.0.0.3", ok.Mx, StringComparison.Ordinal);

        var deferred = Assert.Single(timeline, e => e.Event == "deferred");
        Assert.Equal(slowed, deferred.Recipient);
        Assert.StartsWith("421 4.7.28 ", deferred.Reply, StringComparison.Ordinal);
        Assert.Contains("mx1.example.test", deferred.Mx, StringComparison.Ordinal);

        var throttled = Assert.Single(timeline, e => e.Event == "throttled");
        Assert.Equal(slowed, throttled.Recipient);
        Assert.StartsWith("421 4.7.28 ", throttled.Reply, StringComparison.Ordinal);
        Assert.Equal("example.test asked to slow down (rule gmail-rate): its rate and connections are at 50 % for 00:10:00", throttled.Detail);

        var failed = Assert.Single(timeline, e => e.Event == "failed");
        Assert.Equal(refused, failed.Recipient);
        Assert.Equal("550 5.1.1 No such user", failed.Reply);
        Assert.Contains("mx.rejecting.test", failed.Mx, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Canceling_through_the_page_cancels_the_waiting_recipient_and_the_status_api_says_why()
    {
        var to = $"defer-always-{Guid.NewGuid():N}@example.test";
        var id = await DeferredAsync(to);
        using var browser = new OperatorBrowser(App);
        var page = await browser.GetPageAsync($"/hangfire/mail/messages/{id}");
        Assert.Contains("queue &lt;page&gt; &amp; co", page);

        var response = await browser.PostAsync($"/hangfire/mail/messages/{id}/cancel", tokenFrom: page);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal($"/hangfire/mail/messages/{id}?done=cancelled", response.Headers.Location?.OriginalString);
        Assert.Contains("Canceled: every recipient", await browser.GetPageAsync(response.Headers.Location!.OriginalString));
        var message = await Http.GetMessageAsync(id);
        Assert.Equal("canceled", (string?)message["status"]);
        Assert.Equal("canceled", (string?)message.Recipient(to)["status"]);
        Assert.Contains("Canceled by an operator", (string?)message.Events("canceled").Single()["detail"]);
        Assert.DoesNotContain("<tr data-domain=\"example.test\">", await browser.GetPageAsync("/hangfire/mail"));
    }

    [Fact]
    public async Task Actions_are_refused_without_the_admin_key_and_without_the_antiforgery_token()
    {
        var id = await DeferredAsync($"defer-always-{Guid.NewGuid():N}@example.test");
        using var anonymous = new OperatorBrowser(App, key: null);
        using var notAdmin = new OperatorBrowser(App, key: await App.CreateKeyAsync("shop"));
        using var admin = new OperatorBrowser(App);
        await admin.GetPageAsync("/hangfire/mail");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/hangfire/mail")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/hangfire/mail/retry", null, ("domain", "example.test"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await notAdmin.PostAsync($"/hangfire/mail/messages/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync("/hangfire/mail/retry", null, ("domain", "example.test"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync($"/hangfire/mail/messages/{id}/cancel", null)).StatusCode);

        Assert.Equal("deferred", (string?)(await Http.GetMessageAsync(id))["status"]);
    }

    [Fact]
    public async Task Bad_requests_to_the_pages_get_a_clear_answer()
    {
        using var browser = new OperatorBrowser(App);
        var page = await browser.GetPageAsync("/hangfire/mail");

        var noDomain = await browser.PostAsync("/hangfire/mail/retry", tokenFrom: page);
        Assert.Equal(HttpStatusCode.BadRequest, noDomain.StatusCode);
        Assert.Contains("destination domain", await noDomain.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/hangfire/mail/messages/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/hangfire/mail/messages/{Guid.NewGuid():N}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostAsync($"/hangfire/mail/messages/{Guid.NewGuid():N}/cancel", tokenFrom: page)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await browser.GetAsync("/hangfire/mail/retry")).StatusCode);
    }

    [Fact]
    public async Task A_delivery_job_whose_mail_all_failed_names_its_failures_in_its_result_and_the_page_lists_them()
    {
        var to = $"reject-{Guid.NewGuid():N}@rejecting.test";
        var id = await Http.SendAsync(Message(to));
        await Http.WaitForStatusAsync(id, Patience, "failed");
        var jobs = new DeliveryJobs(App);

        var deadline = DateTime.UtcNow + Patience;
        JsonNode? result = null;
        string? job = null;
        while (result is null && DateTime.UtcNow < deadline)
        {
            foreach (var candidate in jobs.Succeeded())
            {
                var state = jobs.State(candidate);
                if (state.Data.TryGetValue("Result", out var json) && JsonNode.Parse(json) is { } parsed && (int?)parsed["Failed"] == 1)
                {
                    (job, result) = (candidate, parsed);
                }
            }

            await Task.Delay(50);
        }

        Assert.NotNull(result);
        Assert.Null(result["Delivered"]);
        using var browser = new OperatorBrowser(App);
        var details = await browser.GetPageAsync($"/hangfire/jobs/details/{job}");
        Assert.Matches("&quot;Failed&quot;:\\s*1|\"Failed\":\\s*1", details);
        var queue = await browser.GetPageAsync("/hangfire/mail");
        Assert.Contains(to, queue);
        Assert.Contains("550 5.1.1 No such user", queue);
    }
}

public sealed class EmbeddedQueuePageTests(DeliveryWorld world) : QueuePageTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisQueuePageTests(DeliveryWorld world) : QueuePageTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
