using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// Swagger UI's "Try it out" starts from each body's example. It used to be "string" in every
/// field, which the API refused with seven validation errors.
/// </summary>
public sealed class SwaggerExamplesTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    // The world's DNS (dnsmasq on loopback) answers for the examples' domains: nothing leaves the machine.
    private readonly SendApiApp _app = new(world.Settings());
    private JsonNode _document = null!;

    public async Task InitializeAsync() =>
        _document = JsonNode.Parse(await _app.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private JsonNode? Example(string path) =>
        _document["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"];

    [Fact]
    public void Every_post_with_a_body_shows_an_example_without_placeholder_strings()
    {
        var bodies = _document["paths"]!.AsObject()
            .Select(p => (Path: p.Key, Body: p.Value!["post"]?["requestBody"]))
            .Where(p => p.Body is not null)
            .ToList();
        Assert.Equal(["/api-keys", "/domains", "/messages", "/messages/batch", "/messages/raw", "/suppressions", "/templates", "/templates/{name}/render", "/u/{token}", "/webhooks"], bodies.Select(b => b.Path).Order(StringComparer.Ordinal));
        foreach (var (path, body) in bodies)
        {
            // The raw message's example is the message itself, as text; the one-click body is RFC 8058's form.
            var example = path switch
            {
                "/messages/raw" => body!["content"]!["message/rfc822"]!["example"],
                "/u/{token}" => body!["content"]!["application/x-www-form-urlencoded"]!["example"],
                _ => Example(path),
            };
            Assert.True(example is JsonObject { Count: > 0 } or JsonArray { Count: > 0 }
                || (example?.GetValueKind() == System.Text.Json.JsonValueKind.String && ((string)example!) is var text && (text.Contains("Subject:", StringComparison.Ordinal) || text == "List-Unsubscribe=One-Click")),
                $"POST {path} has no example");
            Assert.DoesNotContain("\"string\"", example!.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_message_example_sent_as_is_with_the_admin_key_is_accepted()
    {
        var example = Example("/messages")!.ToJsonString();
        Assert.Contains("Your order #1234", example);

        var response = await _app.Client().PostAsync("/messages", new StringContent(example, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        Assert.Equal("queued", (string?)JsonNode.Parse(body)!["status"]);
    }

    /// <summary>
    /// Not the webhook's: a registered endpoint would be sent this app's events, and its example
    /// host is resolved through the machine's DNS.
    /// </summary>
    [Theory]
    [InlineData("/api-keys")]
    [InlineData("/domains")]
    [InlineData("/suppressions")]
    public async Task The_other_examples_sent_as_is_are_created(string path)
    {
        var response = await _app.Client().PostAsync(path, new StringContent(Example(path)!.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Swagger UI renders descriptions as Markdown, where a bare &lt;api key&gt; is an HTML tag and vanishes.</summary>
    [Fact]
    public void The_bearer_description_keeps_its_angle_brackets_in_a_code_span()
    {
        var description = (string)_document["components"]!["securitySchemes"]!["bearer"]!["description"]!;
        Assert.Contains("`Authorization: Bearer <api key>`", description);
        var outsideCode = string.Concat(description.Split('`').Where((_, i) => i % 2 == 0));
        Assert.DoesNotContain('<', outsideCode);
    }
}
