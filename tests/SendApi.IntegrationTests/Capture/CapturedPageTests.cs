using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// The captured mail page and the JSON API share /captured: the credentials (Bearer key or the
/// operator's Basic login) and, without any, the Accept header decide which answers. The page
/// encodes what messages say and frames their HTML under a sandbox policy.
/// </summary>
public sealed class CapturedPageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly SendApiApp _app = new(new Dictionary<string, string?> { ["Delivery:Mode"] = "capture", ["Delivery:HeloName"] = "sendapi.test" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Browser(string? password = SendApiApp.AdminKey)
    {
        var client = _app.Client(apiKey: null);
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        if (password is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + password)));
        }

        return client;
    }

    [Fact]
    public async Task Without_credentials_a_browser_is_asked_to_log_in_and_an_API_client_for_a_key()
    {
        using var browser = await Browser(password: null).GetAsync("/captured");
        Assert.Equal(HttpStatusCode.Unauthorized, browser.StatusCode);
        Assert.Equal("text/html", browser.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Basic", browser.Headers.WwwAuthenticate.Single().Scheme);

        using var api = await _app.Client(apiKey: null).GetAsync("/captured");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", api.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task The_operator_login_gets_the_page_and_a_Bearer_key_gets_JSON_whatever_it_accepts()
    {
        using var page = await Browser().GetAsync("/captured");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
        Assert.Contains("Captured mail", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var api = _app.Client();
        api.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var json = await api.GetAsync("/captured");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_key_that_is_not_an_admin_key_does_not_open_the_page()
    {
        var key = await _app.CreateKeyAsync($"shop-{Guid.NewGuid():N}");

        using var response = await Browser(key).GetAsync("/captured");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("id=\"captured\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_a_message_says_is_encoded_on_the_page_and_its_HTML_is_framed_under_a_sandbox_policy()
    {
        var http = _app.Client();
        const string subject = "<img src=x onerror=alert(1)> \"quoted\" & 'single'";
        var id = await http.SendAsync(new { from = "\"<script>alert(2)</script>\" <evil@acme.test>", to = new[] { "bob@example.test" }, subject, text = "</pre><script>alert(3)</script>", html = "<p>hi</p>" });
        await http.WaitForStatusAsync(id, Patience, "delivered");
        var captureId = (string)Assert.Single(await http.CapturesOfAsync(id))["id"]!;
        var browser = Browser();

        var list = await browser.GetStringAsync("/captured");
        var detail = await browser.GetStringAsync($"/captured/{captureId}");

        foreach (var html in new[] { list, detail })
        {
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;", html, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt;", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        }

        Assert.Contains("&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;", detail, StringComparison.Ordinal);
        Assert.Contains($"<iframe id=\"html\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"HTML body\" src=\"/captured/{captureId}/html\">", detail, StringComparison.Ordinal);

        using var frame = await browser.GetAsync($"/captured/{captureId}/html");
        Assert.Equal(HttpStatusCode.OK, frame.StatusCode);
        Assert.StartsWith("sandbox; default-src 'none'", frame.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("<p>hi</p>", (await frame.Content.ReadAsStringAsync()).TrimEnd());
    }

    /// <summary>
    /// CSP frame-ancestors keeps other sites from framing the page (clickjacking); X-Frame-Options
    /// says the same to browsers and proxies that predate it. Mail content is not left in caches.
    /// </summary>
    [Fact]
    public async Task The_page_cannot_be_framed_by_another_site_and_mail_content_is_never_cached()
    {
        var http = _app.Client();
        var id = await http.SendAsync(new
        {
            from = "a@acme.test",
            to = new[] { "bob@example.test" },
            subject = "framing",
            html = "<p>hi</p>",
            attachments = new[] { new { filename = "a.txt", content = "aGk=", content_type = "text/plain" } },
        });
        await http.WaitForStatusAsync(id, Patience, "delivered");
        var captureId = (string)Assert.Single(await http.CapturesOfAsync(id))["id"]!;
        var browser = Browser();

        foreach (var (path, frameOptions) in new[] { ("/captured", "DENY"), ($"/captured/{captureId}", "DENY"), ($"/captured/{captureId}/html", "SAMEORIGIN") })
        {
            using var page = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(frameOptions, page.Headers.GetValues("X-Frame-Options").Single());
        }

        using var signIn = await Browser(password: null).GetAsync("/captured");
        Assert.Equal("DENY", signIn.Headers.GetValues("X-Frame-Options").Single());

        foreach (var path in new[] { $"/captured/{captureId}/raw", $"/captured/{captureId}/attachments/0" })
        {
            foreach (var client in new[] { browser, http })
            {
                using var download = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, download.StatusCode);
                Assert.True(download.Headers.CacheControl?.NoStore, $"{path}: Cache-Control {download.Headers.CacheControl}");
            }
        }
    }

    [Fact]
    public async Task An_unknown_capture_is_a_404_page_for_the_operator()
    {
        using var response = await Browser().GetAsync("/captured/cap_0123456789abcdef0123456789abcdef");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("No captured message", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
