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
