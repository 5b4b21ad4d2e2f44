using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Webhooks;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>The /webhooks API: validation, the SSRF guard, and scoping to the API key's account.</summary>
public sealed class WebhooksApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static SendApiApp App(bool allowPrivateNetworks) => new(new Dictionary<string, string?>
    {
        ["Webhooks:AllowPrivateNetworks"] = allowPrivateNetworks ? "true" : "false",
        ["Webhooks:PollInterval"] = "50ms",
        // No MX is reachable from here: only message.queued matters in these tests.
        ["Dns:Servers"] = "127.0.0.1:9",
    });

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task A_url_reaching_a_private_address_is_refused_by_default()
    {
        await using var app = App(allowPrivateNetworks: false);
        var client = app.Client();

        foreach (var url in new[] { _receiver.Url, "http://localhost:8080/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://10.1.2.3/hook" })
        {
            var (status, body) = await PostAsync(client, "/webhooks", new { url, events = new[] { "message.delivered" } });
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(400, (int?)body!["status"]);
            var error = (string)body["errors"]!["url"]![0]!;
            Assert.Contains("Webhooks__AllowPrivateNetworks=true", error);
        }

        Assert.Empty((await client.GetJsonAsync("/webhooks"))["data"]!.AsArray());
    }

    [Fact]
    public async Task A_private_url_is_accepted_when_private_networks_are_allowed()
    {
        await using var app = App(allowPrivateNetworks: true);
        var (status, body) = await PostAsync(app.Client(), "/webhooks", new { url = _receiver.Url, events = new[] { "message.delivered", "message.failed" } });

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.StartsWith("wh_", (string?)body!["id"]);
        Assert.Equal(_receiver.Url, (string?)body["url"]);
        Assert.Equal(["message.delivered", "message.failed"], body["events"]!.AsArray().Select(e => (string)e!));
        Assert.StartsWith("whsec_", (string?)body["secret"]);
        Assert.True((bool)body["enabled"]!);
    }

    [Fact]
    public async Task The_address_is_checked_again_when_delivering()
    {
        // An endpoint whose name has since come to resolve to a private address looks, at delivery
        // time, like this one: stored while allowed, delivered while not.
        await using var app = App(allowPrivateNetworks: false);
        var client = app.Client();
        var store = app.Services.GetRequiredService<IWebhookStore>();
        var webhook = new Webhook(WebhookIds.New(), "admin", _receiver.Url, ["message.queued"], DateTimeOffset.UtcNow, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        await store.CreateAsync(webhook, default);

        await client.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nowhere.test" }, subject = "s", text = "x" });
        var delivery = await client.WaitForDeliveryAsync(webhook.Id, d => (int?)d["attempts"] == 1, Patience, "attempted");

        Assert.Null(delivery["last_status_code"]);
        Assert.Contains("Refused: 127.0.0.1", (string?)delivery["last_error"]);
        Assert.Contains("loopback", (string?)delivery["last_error"]);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Urls_and_event_types_are_validated_with_errors_per_field()
    {
        await using var app = App(allowPrivateNetworks: true);
        var client = app.Client();

        var (status, body) = await PostAsync(client, "/webhooks", new { url = "ftp://hooks.example.com/x", events = new[] { "message.delivered", "message.read" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("must be an absolute http:// or https:// URL.", (string?)body!["errors"]!["url"]![0]);
        Assert.Contains("'message.read' is not an event type", (string?)body["errors"]!["events[1]"]![0]);

        (status, body) = await PostAsync(client, "/webhooks", new { url = "https://hooks.example.com/x", events = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("At least one event type", (string?)body!["errors"]!["events"]![0]);

        (status, body) = await PostAsync(client, "/webhooks", new { url = "https://hooks.example.com/x", events = new[] { "message.delivered" }, evnts = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, (int?)body!["status"]);
    }

    [Fact]
    public async Task Webhooks_belong_to_the_api_keys_account()
    {
        await using var app = App(allowPrivateNetworks: true);
        var admin = app.Client();
        var (id, _) = await admin.CreateWebhookAsync(_receiver.Url);
        var (_, key) = await PostAsync(admin, "/api-keys", new { name = "shop", account_id = "shop" });
        var shop = app.Client((string)key!["key"]!);

        Assert.Empty((await shop.GetJsonAsync("/webhooks"))["data"]!.AsArray());
        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Get, $"/webhooks/{id}"),
            new HttpRequestMessage(HttpMethod.Delete, $"/webhooks/{id}"),
            new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{id}/rotate-secret"),
            new HttpRequestMessage(HttpMethod.Get, $"/webhooks/{id}/deliveries"),
            new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{id}/deliveries/msg_x/retry"),
        })
        {
            using var response = await shop.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // The shop's mail does not reach the admin account's endpoint.
        await shop.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nowhere.test" }, subject = "s", text = "x" });
        await admin.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nowhere.test" }, subject = "s", text = "x" });
        await _receiver.WaitForAsync(r => r.Count > 0, Patience, "the admin's event");
        var deliveries = await admin.DeliveriesAsync(id);
        Assert.Single(deliveries);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task Get_list_and_delete_never_show_the_secret()
    {
        await using var app = App(allowPrivateNetworks: true);
        var client = app.Client();
        var (id, _) = await client.CreateWebhookAsync(_receiver.Url, "message.queued");

        var one = await client.GetJsonAsync($"/webhooks/{id}");
        var all = await client.GetJsonAsync("/webhooks");
        Assert.Equal(id, (string?)one["id"]);
        Assert.Null(one["secret"]);
        Assert.Equal(id, (string?)Assert.Single(all["data"]!.AsArray())!["id"]);
        Assert.DoesNotContain("whsec_", all.ToJsonString());

        using var deleted = await client.DeleteAsync($"/webhooks/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var again = await client.GetAsync($"/webhooks/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty((await client.GetJsonAsync("/webhooks"))["data"]!.AsArray());
    }

    [Fact]
    public async Task A_deleted_webhook_receives_nothing_more()
    {
        await using var app = App(allowPrivateNetworks: true);
        var client = app.Client();
        var (id, _) = await client.CreateWebhookAsync(_receiver.Url, "message.queued");
        await client.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nowhere.test" }, subject = "s", text = "x" });
        await _receiver.WaitForAsync(r => r.Count == 1, Patience, "the first event");

        using var deleted = await client.DeleteAsync($"/webhooks/{id}");
        await using var witness = await WebhookReceiver.StartAsync();
        await client.CreateWebhookAsync(witness.Url, "message.queued");
        var next = await client.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nowhere.test" }, subject = "s", text = "x" });
        await witness.WaitForAsync(r => r.Any(x => x.MessageId == next), Patience, "the witness's event");

        Assert.Single(_receiver.Received);
    }
}
