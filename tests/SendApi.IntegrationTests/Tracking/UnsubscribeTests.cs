using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Inbound;
using SendApi.IntegrationTests.Infrastructure;
using static SendApi.IntegrationTests.Tracking.TrackedMail;

namespace SendApi.IntegrationTests.Tracking;

/// <summary>
/// RFC 8058 one-click unsubscribe from end to end: a message sent with <c>unsubscribe: true</c>
/// reaches the MX (aiosmtpd) with its List-Unsubscribe headers; the link read from that header is
/// POSTed with curl exactly as the RFC's example does, the mailto address is mailed on port 25 with
/// swaks, and what a user sees follows: the suppression list, the timeline, the next send. Both
/// storage modes.
/// </summary>
public abstract class UnsubscribeTests(DeliveryWorld world) : OnBothStorages(world)
{
    protected override void Configure(Dictionary<string, string?> settings) => TrackedMail.Configure(settings);

    private static object Mail(string to, bool unsubscribe = true) => new
    {
        from = "News <news@acme.test>",
        to = new[] { to },
        subject = "This week",
        text = "Hello",
        unsubscribe,
    };

    /// <summary>curl, as RFC 8058 §3.2 shows the POST: the body List-Unsubscribe=One-Click, form-encoded (curl's -d).</summary>
    private static async Task<int> CurlOneClickAsync(Uri url)
    {
        await using var curl = ExternalProcess.Start("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "List-Unsubscribe=One-Click", url.ToString()]);
        Assert.True(await curl.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, curl.Describe());
        return int.Parse(curl.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<JsonNode?> SuppressionAsync(string address)
    {
        var response = await Http.GetAsync($"/suppressions/{Uri.EscapeDataString(address)}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task One_click_with_curl_as_RFC_8058_shows_suppresses_the_recipient_once_and_the_next_send_is_suppressed()
    {
        var to = Unique("reader");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);
        Assert.Equal("List-Unsubscribe=One-Click", received.Headers[HeaderId.ListUnsubscribePost]);
        var (url, mailto) = Unsubscribe(received);
        Assert.Equal(App.HttpPort, url.Port);
        Assert.StartsWith("unsubscribe+", mailto);
        Assert.EndsWith("@" + ReturnPathDomain, mailto);

        Assert.Equal(200, await CurlOneClickAsync(url));
        Assert.Equal(200, await CurlOneClickAsync(url));

        var suppression = await SuppressionAsync(to);
        Assert.NotNull(suppression);
        Assert.Equal("unsubscribe", (string?)suppression["reason"]);
        Assert.Equal(id, (string?)suppression["message_id"]);
        var unsubscribed = Assert.Single((await Http.GetMessageAsync(id)).Events("unsubscribed"));
        Assert.Equal(to, (string?)unsubscribed["recipient"]);
        Assert.Contains("curl/", (string?)unsubscribed["user_agent"]);
        Assert.Equal("127.0.0.1", (string?)unsubscribed["ip"]);

        var again = JsonNode.Parse(await (await Http.PostAsJsonAsync("/messages", Mail(to, unsubscribe: false))).Content.ReadAsStringAsync())!;
        Assert.Equal("suppressed", (string?)again["status"]);

        var stats = JsonNode.Parse(await Http.GetStringAsync("/stats?interval=hour"))!;
        Assert.Equal(1, (long?)stats["totals"]!["unsubscribed"]);
    }

    [Fact]
    public async Task A_template_that_asks_for_unsubscribe_links_gives_them_to_its_sends_unless_a_send_says_no()
    {
        var name = $"news-{Guid.NewGuid():N}";
        var created = await Http.PostAsJsonAsync("/templates", new { name, subject = "Hello {{name}}", text = "Hi {{name}}", unsubscribe = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True((bool?)JsonNode.Parse(await Http.GetStringAsync($"/templates/{name}"))!["unsubscribe"]);

        var to = Unique("templated");
        var (_, received) = await SendAndReceiveAsync(Http, World, new { from = "News <news@acme.test>", to = new[] { to }, template = name, variables = new { name = "Ann" } }, to);
        Assert.Equal("Hello Ann", received.Subject);
        Assert.Equal("List-Unsubscribe=One-Click", received.Headers[HeaderId.ListUnsubscribePost]);
        Assert.Equal(App.HttpPort, Unsubscribe(received).Url.Port);

        var other = Unique("declined");
        var (_, plain) = await SendAndReceiveAsync(Http, World, new { from = "News <news@acme.test>", to = new[] { other }, template = name, variables = new { name = "Bo" }, unsubscribe = false }, other);
        Assert.Equal("Hello Bo", plain.Subject);
        Assert.Null(plain.Headers[HeaderId.ListUnsubscribe]);
    }

    [Fact]
    public async Task A_GET_of_the_link_shows_a_page_with_a_button_that_posts_and_unsubscribes_nobody()
    {
        var to = Unique("scanner");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);
        var (url, _) = Unsubscribe(received);
        using var anonymous = new HttpClient();

        var page = await anonymous.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("text/html", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("<form method=\"post\">", html);
        Assert.Contains("name=\"List-Unsubscribe\" value=\"One-Click\"", html);
        Assert.Equal("no-store", page.Headers.CacheControl!.ToString());
        Assert.Null(await SuppressionAsync(to));
        Assert.Empty((await Http.GetMessageAsync(id)).Events("unsubscribed"));

        // The page's button posts the form as a browser does (multipart here): that unsubscribes.
        using var form = new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } };
        var posted = await anonymous.PostAsync(url, form);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("You are unsubscribed", await posted.Content.ReadAsStringAsync());
        Assert.NotNull(await SuppressionAsync(to));
    }

    [Fact]
    public async Task A_tampered_link_is_404_and_unsubscribes_nobody()
    {
        var to = Unique("tamper");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);
        var tampered = Tampered(Unsubscribe(received).Url);
        using var anonymous = new HttpClient();

        var api = await anonymous.GetAsync(tampered);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.StartsWith("application/problem+json", api.Content.Headers.ContentType!.ToString());
        using var browser = new HttpRequestMessage(HttpMethod.Get, tampered) { Headers = { { "Accept", "text/html,application/xhtml+xml,*/*;q=0.8" } } };
        var page = await anonymous.SendAsync(browser);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("This link is not valid", await page.Content.ReadAsStringAsync());
        Assert.Equal(404, await CurlOneClickAsync(tampered));
        Assert.Equal(404, await CurlOneClickAsync(new Uri($"http://127.0.0.1:{App.HttpPort}/u/not-a-token")));

        Assert.Null(await SuppressionAsync(to));
        Assert.Empty((await Http.GetMessageAsync(id)).Events("unsubscribed"));
    }

    [Fact]
    public async Task Mail_to_the_mailto_address_on_port_25_unsubscribes_and_a_tampered_one_is_refused_at_RCPT()
    {
        var to = Unique("mailer");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);
        var (_, mailto) = Unsubscribe(received);

        var tampered = mailto![..12] + (mailto[12] == 'a' ? 'b' : 'a') + mailto[13..];
        var (_, refused) = await InboundSmtp.TryRecipientAsync(App.InboundPort, tampered);
        Assert.StartsWith("550 5.1.1", refused);

        await using var swaks = ExternalProcess.Start("/usr/bin/swaks",
        [
            "--server", $"127.0.0.1:{App.InboundPort}", "--from", to, "--to", mailto,
            "--header", "Subject: unsubscribe", "--body", "unsubscribe",
        ]);
        Assert.True(await swaks.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, swaks.Describe());

        var suppression = await SuppressionAsync(to);
        Assert.NotNull(suppression);
        Assert.Equal("unsubscribe", (string?)suppression["reason"]);
        var unsubscribed = Assert.Single((await Http.GetMessageAsync(id)).Events("unsubscribed"));
        Assert.StartsWith("mailto", (string?)unsubscribed["detail"]);
    }

    [Fact]
    public async Task The_List_Unsubscribe_headers_are_covered_by_the_DKIM_signature_and_it_verifies()
    {
        var account = $"unsub-dkim-{Guid.NewGuid():N}";
        var news = App.Client(await App.CreateKeyAsync(account));
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(await news.RegisterDomainAsync("acme.test"));
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));
        string[] to = [Unique("ann"), Unique("bob")];

        var id = await news.SendAsync(new { from = "news@acme.test", to, subject = "Signed", text = "Hi", unsubscribe = true });
        await news.WaitForStatusAsync(id, Patience, "delivered");

        var received = (await World.Mx1.WaitForMessagesAsync(2, Patience, m => m.RcptTos.Intersect(to).Any())).ToList();
        Assert.All(received, m => Assert.Single(m.RcptTos));
        var messages = received.Select(m => m.Parse()).ToList();
        Assert.NotEqual(Unsubscribe(messages[0]).Url, Unsubscribe(messages[1]).Url);
        foreach (var message in messages)
        {
            var signed = DomainsTestKit.Tags(Assert.Single(message.Headers, h => h.Id == HeaderId.DkimSignature).Value)["h"].ToLowerInvariant().Split(':');
            Assert.Contains("list-unsubscribe", signed);
            Assert.Contains("list-unsubscribe-post", signed);
            Assert.True(await DomainsTestKit.VerifyAsync(message, dns.CreateLookupClient()), "The signature does not verify.");
        }
    }
}

public sealed class EmbeddedUnsubscribeTests(DeliveryWorld world) : UnsubscribeTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisUnsubscribeTests(DeliveryWorld world) : UnsubscribeTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
