using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Suppressions;

/// <summary>What a client of <c>/suppressions</c> sees: the list's shape, idempotency, paging, errors, accounts.</summary>
public sealed class SuppressionsApiTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly SendApiApp _app;
    private readonly HttpClient _admin;

    public SuppressionsApiTests(DeliveryWorld world)
    {
        _app = new SendApiApp(world.Settings());
        _admin = _app.Client();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected, string mediaType = "application/json")
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    private async Task<HttpClient> NewAccountAsync() => _app.Client(await _app.CreateKeyAsync($"acct{Guid.NewGuid():N}"));

    [Fact]
    public async Task Adding_twice_is_201_then_200_with_the_first_entry_kept()
    {
        var client = await NewAccountAsync();
        var created = await client.PostAsJsonAsync("/suppressions", new { address = "Dave <Dave@Example.test>", reason = "unsubscribe", detail = "clicked the link" });
        var first = await JsonAsync(created, HttpStatusCode.Created);
        Assert.Equal("/suppressions/dave%40example.test", created.Headers.Location?.OriginalString);
        Assert.Equal("dave@example.test", (string?)first["address"]);
        Assert.Equal("unsubscribe", (string?)first["reason"]);
        Assert.Equal("clicked the link", (string?)first["detail"]);

        var again = await JsonAsync(await client.PostAsJsonAsync("/suppressions", new { address = "dave@example.test" }), HttpStatusCode.OK);
        Assert.Equal(first.ToJsonString(), again.ToJsonString());

        var got = await JsonAsync(await client.GetAsync("/suppressions/DAVE@example.test"), HttpStatusCode.OK);
        Assert.Equal(first.ToJsonString(), got.ToJsonString());
    }

    [Fact]
    public async Task The_list_pages_with_a_cursor_in_address_order()
    {
        var client = await NewAccountAsync();
        foreach (var name in new[] { "c", "a", "e", "b", "d" })
        {
            await JsonAsync(await client.PostAsJsonAsync("/suppressions", new { address = $"{name}@example.test" }), HttpStatusCode.Created);
        }

        var first = await JsonAsync(await client.GetAsync("/suppressions?limit=2"), HttpStatusCode.OK);
        Assert.Equal(["a@example.test", "b@example.test"], first["data"]!.AsArray().Select(s => (string)s!["address"]!));
        Assert.Equal("manual", (string?)first["data"]![0]!["reason"]);
        var cursor = (string)first["next_cursor"]!;

        var second = await JsonAsync(await client.GetAsync($"/suppressions?limit=2&cursor={Uri.EscapeDataString(cursor)}"), HttpStatusCode.OK);
        var third = await JsonAsync(await client.GetAsync($"/suppressions?limit=2&cursor={Uri.EscapeDataString((string)second["next_cursor"]!)}"), HttpStatusCode.OK);
        Assert.Equal(["c@example.test", "d@example.test"], second["data"]!.AsArray().Select(s => (string)s!["address"]!));
        Assert.Equal(["e@example.test"], third["data"]!.AsArray().Select(s => (string)s!["address"]!));
        Assert.Null(third["next_cursor"]);

        var all = await JsonAsync(await client.GetAsync("/suppressions"), HttpStatusCode.OK);
        Assert.Equal(5, all["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task Bad_input_is_400_problem_naming_the_field()
    {
        var badAddress = await JsonAsync(await _admin.PostAsJsonAsync("/suppressions", new { address = "not an address" }), HttpStatusCode.BadRequest, "application/problem+json");
        Assert.NotNull(badAddress["errors"]!["address"]);

        var missing = await JsonAsync(await _admin.PostAsJsonAsync("/suppressions", new { reason = "manual" }), HttpStatusCode.BadRequest, "application/problem+json");
        Assert.NotNull(missing["errors"]!["address"]);

        var badReason = await JsonAsync(await _admin.PostAsJsonAsync("/suppressions", new { address = "x@example.test", reason = "bored" }), HttpStatusCode.BadRequest, "application/problem+json");
        Assert.Contains("hard_bounce", (string?)badReason["errors"]!["reason"]![0]);

        var unknownField = await _admin.PostAsJsonAsync("/suppressions", new { address = "x@example.test", adress = "typo" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);

        var badLimit = await JsonAsync(await _admin.GetAsync("/suppressions?limit=0"), HttpStatusCode.BadRequest, "application/problem+json");
        Assert.NotNull(badLimit["errors"]!["limit"]);
    }

    [Fact]
    public async Task Another_accounts_entry_is_404_and_cannot_be_deleted()
    {
        var shop = await NewAccountAsync();
        var blog = await NewAccountAsync();
        await JsonAsync(await shop.PostAsJsonAsync("/suppressions", new { address = "eve@example.test" }), HttpStatusCode.Created);

        await JsonAsync(await blog.GetAsync("/suppressions/eve@example.test"), HttpStatusCode.NotFound, "application/problem+json");
        await JsonAsync(await blog.DeleteAsync("/suppressions/eve@example.test"), HttpStatusCode.NotFound, "application/problem+json");
        Assert.Empty((await JsonAsync(await blog.GetAsync("/suppressions"), HttpStatusCode.OK))["data"]!.AsArray());

        Assert.Equal(HttpStatusCode.NoContent, (await shop.DeleteAsync("/suppressions/EVE@example.test")).StatusCode);
        await JsonAsync(await shop.GetAsync("/suppressions/eve@example.test"), HttpStatusCode.NotFound, "application/problem+json");
    }

    [Fact]
    public async Task Without_a_key_it_is_401()
    {
        var anonymous = _app.Client(apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/suppressions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/suppressions", new { address = "x@example.test" })).StatusCode);
    }
}
