using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>What a client of the HTTP API sees for bad input, bad keys and other accounts' messages.</summary>
public sealed class MessagesApiTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly SendApiApp _app;
    private readonly HttpClient _admin;

    public MessagesApiTests(DeliveryWorld world)
    {
        _app = new SendApiApp(world.Settings(new() { ["Messages:MaxSizeBytes"] = "65536" }));
        _admin = _app.Client();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static object Minimal(string to = "bob@example.test") => new { from = "a@acme.test", to = new[] { to }, subject = "s", text = "x" };

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    private async Task<(string Key, string Account)> CreateKeyAsync(string name)
    {
        var response = await _admin.PostAsJsonAsync("/api-keys", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return ((string)json["key"]!, (string)json["account_id"]!);
    }

    [Fact]
    public async Task Missing_or_unknown_key_is_401_problem()
    {
        var anonymous = await ProblemAsync(await _app.Client(apiKey: null).PostAsJsonAsync("/messages", Minimal()), HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", (string?)anonymous["detail"]);
        var unknown = await ProblemAsync(await _app.Client("sk_not_a_real_key").PostAsJsonAsync("/messages", Minimal()), HttpStatusCode.Unauthorized);
        Assert.Equal("Unknown API key.", (string?)unknown["detail"]);
        await ProblemAsync(await _app.Client(apiKey: null).GetAsync("/messages/abc"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Invalid_fields_are_400_with_an_error_per_field()
    {
        var response = await _admin.PostAsJsonAsync("/messages", new
        {
            from = "not an address",
            to = new[] { "ok@example.test", "bob@example.test\r\nBcc: victim@example.test" },
            subject = "Hello\r\nBcc: victim@example.test",
            text = "x",
            headers = new Dictionary<string, string> { ["X-Ok"] = "a\nb" },
        });

        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.Equal(["from", "headers.X-Ok", "subject", "to[1]"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","headers":{"X-Foo":null}}""", "headers.X-Foo")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","headers":{"Content-Language":"en"}}""", "headers.Content-Language")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","attachments":[null]}""", "attachments[0]")]
    [InlineData("""{"from":"a@acme.test","to":["b@example.test"],"text":"x","attachments":[{"filename":"a.png","content":"aGk=","content_id":"("}]}""", "attachments[0].content_id")]
    public async Task Inputs_that_would_break_the_message_are_400_not_500(string json, string field)
    {
        var response = await _admin.PostAsync("/messages", new StringContent(json, Encoding.UTF8, "application/json"));
        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.Contains(field, errors.Select(e => e.Key));
    }

    /// <summary>text and html are read as UTF-8 bytes, not through a string, which used to refuse what is not Unicode: they still do.</summary>
    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe }, "text")]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' }, "html")]
    public async Task A_body_that_is_not_unicode_is_400_at_its_field(byte[] value, string field)
    {
        byte[] json = [.. Encoding.UTF8.GetBytes($"{{\"from\":\"a@acme.test\",\"to\":[\"b@example.test\"],\"{field}\":\""), .. value, .. "\"}"u8];

        var response = await _admin.PostAsync("/messages", new ByteArrayContent(json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });

        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.Equal([field], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task Malformed_json_is_400_saying_what_is_wrong()
    {
        var response = await _admin.PostAsync("/messages", new StringContent("{\"from\": \"a@acme.test\", \"to\": [", Encoding.UTF8, "application/json"));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("JSON", (string?)problem["detail"]);

        var typo = await _admin.PostAsync("/messages", new StringContent("{\"from\":\"a@acme.test\",\"to\":[\"b@example.test\"],\"txt\":\"x\"}", Encoding.UTF8, "application/json"));
        Assert.Equal("unknown field", (string?)(await ProblemAsync(typo, HttpStatusCode.BadRequest))["errors"]!["txt"]![0]);
    }

    [Fact]
    public async Task More_than_fifty_recipients_is_refused()
    {
        var response = await _admin.PostAsJsonAsync("/messages", new
        {
            from = "a@acme.test",
            to = Enumerable.Range(0, 51).Select(i => $"r{i}@example.test").ToArray(),
            text = "x",
        });
        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest))["errors"]!;
        Assert.Contains("At most 50 recipients", (string?)errors["to"]![0]);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_413()
    {
        var response = await _admin.PostAsJsonAsync("/messages", new
        {
            from = "a@acme.test",
            to = new[] { "bob@example.test" },
            text = "x",
            attachments = new[] { new { filename = "big.bin", content = Convert.ToBase64String(new byte[70_000]) } },
        });
        var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("65536", (string?)problem["detail"]);
    }

    [Fact]
    public async Task A_body_beyond_the_request_limit_is_413_without_being_read_whole()
    {
        // Messages:MaxSizeBytes = 64 KiB allows a request of 64 KiB * 4/3 + 1 MiB.
        var huge = new string('a', 2 * 1024 * 1024);
        var response = await _admin.PostAsync("/messages", new StringContent($"{{\"from\":\"a@acme.test\",\"to\":[\"b@example.test\"],\"text\":\"{huge}\"}}", Encoding.UTF8, "application/json"));
        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_key_sees_only_its_own_accounts_messages()
    {
        var (aliceKey, _) = await CreateKeyAsync("alice app");
        var (bobKey, _) = await CreateKeyAsync("bob app");
        var alice = _app.Client(aliceKey);
        var id = await alice.SendAsync(Minimal());

        Assert.Equal(id, (string?)(await alice.GetMessageAsync(id))["id"]);
        await ProblemAsync(await _app.Client(bobKey).GetAsync($"/messages/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await _admin.GetAsync($"/messages/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await alice.GetAsync("/messages/does-not-exist"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Same_idempotency_key_returns_the_first_message()
    {
        var first = await _admin.SendAsync(Minimal(), idempotencyKey: "order-42");
        var again = await _admin.SendAsync(Minimal(), idempotencyKey: "order-42");
        var other = await _admin.SendAsync(Minimal(), idempotencyKey: "order-43");
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Accepted_message_points_to_its_status()
    {
        var response = await _admin.PostAsJsonAsync("/messages", Minimal());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
        Assert.Equal($"/messages/{id}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Api_keys_are_managed_by_admin_keys_only()
    {
        var (key, _) = await CreateKeyAsync("app");
        await ProblemAsync(await _app.Client(key).PostAsJsonAsync("/api-keys", new { name = "escalate" }), HttpStatusCode.Forbidden);

        var list = JsonNode.Parse(await _admin.GetStringAsync("/api-keys"))!["data"]!.AsArray();
        Assert.Contains(list, k => (string?)k!["name"] == "app");
        // No secret, only its first characters, which tell keys apart.
        Assert.DoesNotContain(key, list.ToJsonString());
        Assert.StartsWith((string)list.First(k => (string?)k!["name"] == "app")!["prefix"]!, key);

        var id = (string)list.First(k => (string?)k!["name"] == "app")!["id"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api-keys/{id}")).StatusCode);
        await ProblemAsync(await _app.Client(key).GetAsync("/messages/x"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Dashboard_requires_an_admin_key_as_basic_password()
    {
        var anonymous = await _app.Client(apiKey: null).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());

        var (key, _) = await CreateKeyAsync("not admin");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Basic(key).GetAsync("/hangfire")).StatusCode);

        var admin = await Basic(SendApiApp.AdminKey).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("SendApi queue", await admin.Content.ReadAsStringAsync());

        HttpClient Basic(string password)
        {
            var client = _app.Client(apiKey: null);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + password)));
            return client;
        }
    }

    [Fact]
    public async Task Health_and_swagger_answer()
    {
        var anonymous = _app.Client(apiKey: null);
        Assert.Equal("Healthy", await anonymous.GetStringAsync("/health/live"));
        Assert.Equal("Healthy", await anonymous.GetStringAsync("/health/ready"));
        Assert.Contains("swagger-ui", await anonymous.GetStringAsync("/swagger/index.html"));
    }
}
