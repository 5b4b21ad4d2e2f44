using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using static SendApi.IntegrationTests.Tracking.TrackedMail;

namespace SendApi.IntegrationTests.Tracking;

/// <summary>
/// Open and click tracking from end to end: a message sent with <c>track_opens</c> and
/// <c>track_clicks</c> reaches the MX with its links rewritten; fetching the pixel and following a
/// link as a mail client would records events in the timeline, the stats and a real webhook
/// receiver; the redirect goes only where the message's link went. Both storage modes.
/// </summary>
public abstract class OpenAndClickTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const string Original = "https://shop.example/p?id=7&ref=mail";
    private const string Safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

    protected override void Configure(Dictionary<string, string?> settings) => TrackedMail.Configure(settings);

    private static object Mail(string to) => new
    {
        from = "Shop <shop@acme.test>",
        to = new[] { to },
        subject = "New arrivals",
        text = $"See {Original}",
        html = $"<html><body><p><a href=\"{WebUtility.HtmlEncode(Original)}\">Shop now</a> or <a href=\"mailto:help@acme.test\">write to us</a> <a href=\"#top\">top</a></p></body></html>",
        track_opens = true,
        track_clicks = true,
    };

    /// <summary>A mail client: no API key, and it does not follow redirects (the test reads them).</summary>
    private static HttpClient Reader(string? userAgent)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        if (userAgent is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        }

        return client;
    }

    [Fact]
    public async Task Opens_and_clicks_reach_the_timeline_the_stats_and_webhooks_with_first_and_machine_opens_flagged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (_, secret) = await Http.CreateWebhookAsync(receiver.Url, "message.opened", "message.clicked");
        var to = Unique("shopper");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);

        // The text part keeps its link; in the HTML only the http(s) one goes through us.
        Assert.Equal($"See {Original}", received.TextBody!.TrimEnd());
        var links = Links(received);
        Assert.StartsWith($"http://127.0.0.1:{App.HttpPort}/c/", links[0]);
        Assert.Equal(["mailto:help@acme.test", "#top"], links.Skip(1));

        using var person = Reader(Safari);
        var pixel = await person.GetAsync(Pixel(received));
        Assert.Equal(HttpStatusCode.OK, pixel.StatusCode);
        Assert.Equal("image/gif", pixel.Content.Headers.ContentType!.MediaType);
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString((await pixel.Content.ReadAsByteArrayAsync())[..6]));
        using var applePrivacyProxy = Reader("Mozilla/5.0");
        Assert.Equal(HttpStatusCode.OK, (await applePrivacyProxy.GetAsync(Pixel(received))).StatusCode);

        var click = await person.GetAsync(links[0]);
        Assert.Equal(HttpStatusCode.Found, click.StatusCode);
        Assert.Equal(Original, click.Headers.Location!.OriginalString);

        var status = await Http.GetMessageAsync(id);
        var opens = status.Events("opened");
        Assert.Equal(2, opens.Count);
        Assert.Equal((true, false, Safari), ((bool?)opens[0]["first_open"], (bool?)opens[0]["machine_open"], (string?)opens[0]["user_agent"]));
        Assert.Equal((false, true), ((bool?)opens[1]["first_open"], (bool?)opens[1]["machine_open"]));
        Assert.Contains("Apple Mail Privacy Protection", (string?)opens[1]["detail"]);
        Assert.All(opens, o => Assert.Equal(("127.0.0.1", to), ((string?)o["ip"], (string?)o["recipient"])));
        var clicked = Assert.Single(status.Events("clicked"));
        Assert.Equal((Original, to, Safari), ((string?)clicked["url"], (string?)clicked["recipient"], (string?)clicked["user_agent"]));

        var webhooks = await receiver.WaitForAsync(r => r.Count >= 3, Patience, "two message.opened and one message.clicked");
        Assert.All(webhooks, w => Assert.True(StandardWebhooksVerifier.Verify(secret, w, DateTimeOffset.UtcNow)));
        Assert.Equal(2, webhooks.Count(w => w.Type == "message.opened" && w.MessageId == id));
        var clickHook = Assert.Single(webhooks, w => w.Type == "message.clicked");
        Assert.Equal((Original, to), ((string?)clickHook.Data["url"], (string?)clickHook.Data["recipient"]));
        Assert.Contains(webhooks, w => w.Type == "message.opened" && (bool?)w.Data["machine_open"] == true);

        var totals = System.Text.Json.Nodes.JsonNode.Parse(await Http.GetStringAsync("/stats?interval=hour"))!["totals"]!;
        Assert.Equal((2L, 1L), ((long?)totals["opened"], (long?)totals["clicked"]));
    }

    [Fact]
    public async Task The_redirect_goes_only_to_the_original_url_and_a_tampered_or_misplaced_token_is_404()
    {
        var to = Unique("prober");
        var (id, received) = await SendAndReceiveAsync(Http, World, Mail(to), to);
        var link = new Uri(Links(received)[0]);
        using var reader = Reader(Safari);

        // Whatever is added to the link, it redirects where the message's link went.
        var withTarget = await reader.GetAsync(new Uri(link + "?url=https://evil.example/&redirect=https://evil.example/"));
        Assert.Equal(HttpStatusCode.Found, withTarget.StatusCode);
        Assert.Equal(Original, withTarget.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(Tampered(link))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(new Uri(link.ToString().Replace("/c/", "/o/", StringComparison.Ordinal)))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(new Uri(Pixel(received).ToString().Replace("/o/", "/c/", StringComparison.Ordinal)))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(Tampered(Pixel(received)))).StatusCode);
        var notFound = await reader.GetAsync(new Uri($"http://127.0.0.1:{App.HttpPort}/c/{new string('a', 5000)}"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.StartsWith("application/problem+json", notFound.Content.Headers.ContentType!.ToString());

        Assert.Single((await Http.GetMessageAsync(id)).Events("clicked"));
        Assert.Empty((await Http.GetMessageAsync(id)).Events("opened"));
    }

    [Fact]
    public async Task SMTP_submission_headers_turn_on_unsubscribe_and_tracking_and_never_reach_the_recipient()
    {
        var to = Unique("smtp");
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Shop", "shop@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Via SMTP, tracked";
        message.Headers.Add("X-SendApi-Track", "opens, clicks");
        message.Headers.Add("X-SendApi-Unsubscribe", "true");
        message.Body = new BodyBuilder { TextBody = $"See {Original}", HtmlBody = $"<p><a href=\"{WebUtility.HtmlEncode(Original)}\">Shop</a></p>" }.ToMessageBody();

        using (var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" })
        {
            await smtp.ConnectAsync("127.0.0.1", App.SubmissionPort, SecureSocketOptions.StartTls);
            await smtp.AuthenticateAsync("apikey", SendApiApp.AdminKey);
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(quit: true);
        }

        var received = Assert.Single(await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to))).Parse();
        Assert.DoesNotContain(received.Headers, h => h.Field.StartsWith("X-SendApi", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("List-Unsubscribe=One-Click", received.Headers[HeaderId.ListUnsubscribePost]);
        Assert.Equal(App.HttpPort, Unsubscribe(received).Url.Port);
        Assert.StartsWith($"http://127.0.0.1:{App.HttpPort}/c/", Links(received)[0]);
        using var reader = Reader(Safari);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(Pixel(received))).StatusCode);
    }
}

public sealed class EmbeddedOpenAndClickTests(DeliveryWorld world) : OpenAndClickTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisOpenAndClickTests(DeliveryWorld world) : OpenAndClickTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
