using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// What reaches a store from the edge: ids in paths are parsed to their exact format first (404
/// otherwise), and fields whose rule forbids line breaks refuse even a final one (400). On Redis
/// an id such as <c>&lt;message id&gt;:events</c> used to name another key and answer 500.
/// </summary>
public abstract class IdentifierTests(DeliveryWorld world) : OnBothStorages(world)
{
    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Webhooks:AllowPrivateNetworks"] = "true";

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string request)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{request} answered {(int)response.StatusCode}, not {(int)expected}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Ids_that_would_name_another_store_key_are_404()
    {
        var message = await Http.SendAsync(new { from = "a@acme.test", to = new[] { "bob@nullmx.test" }, subject = "s", text = "x" });
        var created = await Http.PostAsJsonAsync("/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "inbound.received" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhook = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;

        string[] gets =
        [
            $"/messages/{message}:events",
            $"/messages/{message}:mime",
            $"/messages/{message.ToUpperInvariant()}",
            $"/webhooks/{webhook}:deliveries:order",
            $"/webhooks/{webhook}:deliveries",
            $"/webhooks/{webhook}:deliveries:order/deliveries",
            "/inbound/in_00000000000000000000000000000000:raw",
            "/suppressions/a:b",
            "/domains/a:b",
        ];
        foreach (var path in gets)
        {
            await AssertProblemAsync(await Http.GetAsync(path), HttpStatusCode.NotFound, "GET " + path);
        }

        await AssertProblemAsync(await Http.PostAsync($"/webhooks/{webhook}:deliveries/rotate-secret", null), HttpStatusCode.NotFound, "rotate");
        await AssertProblemAsync(await Http.PostAsync($"/webhooks/{webhook}/deliveries/msg_1:x/retry", null), HttpStatusCode.NotFound, "retry");
        await AssertProblemAsync(await Http.DeleteAsync($"/webhooks/{webhook}:deliveries:order"), HttpStatusCode.NotFound, "DELETE webhook");
        await AssertProblemAsync(await Http.DeleteAsync("/api-keys/key_0123:byid"), HttpStatusCode.NotFound, "DELETE api key");

        // The real ones are still there, untouched.
        Assert.Equal(message, (string?)(await Http.GetMessageAsync(message))["id"]);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync($"/webhooks/{webhook}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"shop","account_id":"shop\n"}""", "/api-keys", "account_id")]
    [InlineData("""{"from":"a@acme.test","to":["b@nullmx.test"],"text":"x","headers":{"X-Campaign\n":"spring"}}""", "/messages", "headers.X-Campaign\n")]
    [InlineData("""{"from":"a@acme.test","to":["b@nullmx.test"],"text":"x","tags":["orders\n"]}""", "/messages", "tags[0]")]
    [InlineData("""{"from":"a@acme.test","to":["b@nullmx.test"],"text":"x","metadata":{"order_id\n":"1"}}""", "/messages", "metadata.order_id\n")]
    [InlineData("""{"from":"a@acme.test","to":["b@nullmx.test"],"html":"<img src=cid:logo>","attachments":[{"filename":"logo.png","content":"aGk=","content_id":"logo@acme.test\n"}]}""", "/messages", "attachments[0].content_id")]
    public async Task A_final_line_feed_is_400_naming_the_field(string json, string path, string field)
    {
        var response = await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "POST " + path);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.Contains(field, errors.Select(e => e.Key));
    }
}

public sealed class EmbeddedIdentifierTests(DeliveryWorld world) : IdentifierTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisIdentifierTests(DeliveryWorld world) : IdentifierTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
