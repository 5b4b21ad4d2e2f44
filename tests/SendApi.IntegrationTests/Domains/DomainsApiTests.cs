using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Domains;

/// <summary>What a client of <c>/domains</c> sees: the records to publish, validation, conflicts and other accounts' domains.</summary>
[Collection(DomainsCollection.Name)]
public sealed class DomainsApiTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private readonly SendApiApp _app = new(world.Settings());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task Registering_returns_the_selector_and_the_dns_records_to_publish_never_the_private_key()
    {
        var client = _app.Client(await _app.CreateKeyAsync("records"));
        var response = await client.PostAsJsonAsync("/domains", new { name = " Shop.Example.COM. " });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/domains/shop.example.com", response.Headers.Location?.ToString());
        Assert.DoesNotContain("PRIVATE", body, StringComparison.OrdinalIgnoreCase);

        var domain = JsonNode.Parse(body)!;
        Assert.Equal("shop.example.com", (string?)domain["name"]);
        Assert.NotNull((DateTimeOffset?)domain["created_at"]);
        var selector = (string)domain["dkim"]!["selector"]!;
        Assert.Matches("^sa[0-9]{8}-[0-9a-f]{4}$", selector);
        Assert.Equal("rsa-sha256", (string?)domain["dkim"]!["algorithm"]);

        var records = domain["dns_records"]!.AsArray().Select(r => ((string)r!["type"]!, (string)r["name"]!, (string)r["value"]!)).ToList();
        Assert.Equal(3, records.Count);
        Assert.Equal("pending", (string?)domain["status"]);
        Assert.Null(domain["checked_at"]);
        Assert.True(domain.AsObject().ContainsKey("checked_at"));
        var (dkimType, dkimName, dkimValue) = records[0];
        Assert.Equal(("TXT", $"{selector}._domainkey.shop.example.com"), (dkimType, dkimName));
        Assert.StartsWith("v=DKIM1; k=rsa; p=", dkimValue);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(dkimValue["v=DKIM1; k=rsa; p=".Length..]), out _);
        Assert.Equal(2048, rsa.KeySize);
        // Without a return-path domain, MAIL FROM is the sender's own address: SPF goes on its domain.
        Assert.Equal(("TXT", "shop.example.com", "v=spf1 include:spf.sendapi.test ~all"), records[1]);
        Assert.Equal(("TXT", "_dmarc.shop.example.com", "v=DMARC1; p=none"), records[2]);

        // The same answer afterwards, from GET and from the list.
        Assert.Equal(domain.ToJsonString(), JsonNode.Parse(await client.GetStringAsync("/domains/shop.example.com"))!.ToJsonString());
        Assert.Equal(domain.ToJsonString(), Assert.Single(JsonNode.Parse(await client.GetStringAsync("/domains"))!["data"]!.AsArray())!.ToJsonString());
    }

    [Fact]
    public async Task Configured_spf_include_and_return_path_domain_are_what_the_records_name()
    {
        await using var app = new SendApiApp(world.Settings(new()
        {
            ["Domains:SpfInclude"] = "_spf.mailer.test",
            ["Delivery:ReturnPathDomain"] = "bounces.mailer.test",
            ["Delivery:HeloName"] = "out.mailer.test",
        }));
        var domain = await app.Client(await app.CreateKeyAsync("configured")).RegisterDomainAsync("acme.test");

        // With one, MAIL FROM is bounces+…@bounces.mailer.test: SPF and the MX belong to that domain.
        var records = domain["dns_records"]!.AsArray();
        Assert.Equal("bounces.mailer.test", (string?)records[1]!["name"]);
        Assert.Equal("v=spf1 include:_spf.mailer.test ~all", (string?)records[1]!["value"]);
        Assert.Equal(("MX", "bounces.mailer.test", "10 out.mailer.test"), ((string)records[2]!["type"]!, (string)records[2]!["name"]!, (string)records[2]!["value"]!));
    }

    [Theory]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"name":"not a domain"}""")]
    [InlineData("""{"name":"localhost"}""")]
    [InlineData("""{"name":"10.0.0.1"}""")]
    [InlineData("""{"name":"orders@acme.test"}""")]
    [InlineData("""{"name":"acme.test\r\nX-Injected: 1"}""")]
    [InlineData("""{}""")]
    public async Task A_name_that_is_not_a_domain_is_400_naming_the_field(string json)
    {
        var client = _app.Client(await _app.CreateKeyAsync("invalid"));
        var problem = await ProblemAsync(await client.PostAsync("/domains", new StringContent(json, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Equal(["name"], problem["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task Unknown_fields_and_a_missing_body_are_400_problems()
    {
        var client = _app.Client(await _app.CreateKeyAsync("typo"));
        var typo = await ProblemAsync(await client.PostAsync("/domains", new StringContent("""{"domain":"acme.test"}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Equal("unknown field", (string?)typo["errors"]!["domain"]![0]);
        await ProblemAsync(await client.PostAsync("/domains", new StringContent("null", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Registering_a_domain_the_account_already_has_is_409_whatever_its_spelling()
    {
        var client = _app.Client(await _app.CreateKeyAsync("twice"));
        var first = await client.RegisterDomainAsync("bücher.test");
        Assert.Equal("xn--bcher-kva.test", (string?)first["name"]);

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/domains", new { name = "XN--BCHER-KVA.test" }), HttpStatusCode.Conflict);
        Assert.Contains("xn--bcher-kva.test", (string?)problem["detail"]);
        Assert.Equal((string?)first["dkim"]!["selector"], (string?)JsonNode.Parse(await client.GetStringAsync("/domains/B%C3%BCcher.TEST"))!["dkim"]!["selector"]);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_401_problems()
    {
        await ProblemAsync(await _app.Client(apiKey: null).PostAsJsonAsync("/domains", new { name = "acme.test" }), HttpStatusCode.Unauthorized);
        await ProblemAsync(await _app.Client("sk_not_a_real_key").GetAsync("/domains"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await _app.Client(apiKey: null).GetAsync("/domains/acme.test"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await _app.Client(apiKey: null).DeleteAsync("/domains/acme.test"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Another_accounts_domain_is_invisible_and_the_name_stays_free_for_each_account()
    {
        var alice = _app.Client(await _app.CreateKeyAsync("alice"));
        var bob = _app.Client(await _app.CreateKeyAsync("bob"));
        var alices = await alice.RegisterDomainAsync("acme.test");

        var notFound = await ProblemAsync(await bob.GetAsync("/domains/acme.test"), HttpStatusCode.NotFound);
        Assert.Equal("Domain not found.", (string?)notFound["title"]);
        await ProblemAsync(await bob.DeleteAsync("/domains/acme.test"), HttpStatusCode.NotFound);
        Assert.Empty(JsonNode.Parse(await bob.GetStringAsync("/domains"))!["data"]!.AsArray());

        // Bob's registration of the same name is his own, with his own key.
        var bobs = await bob.RegisterDomainAsync("acme.test");
        Assert.NotEqual(DomainsTestKit.DkimRecord(alices), DomainsTestKit.DkimRecord(bobs));
        Assert.Equal(DomainsTestKit.DkimRecord(alices), DomainsTestKit.DkimRecord(JsonNode.Parse(await alice.GetStringAsync("/domains/acme.test"))!));
    }

    [Fact]
    public async Task Deleting_removes_the_domain_and_a_second_delete_is_404()
    {
        var client = _app.Client(await _app.CreateKeyAsync("deleter"));
        var first = await client.RegisterDomainAsync("acme.test");
        await client.RegisterDomainAsync("keep.test");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/domains/ACME.test")).StatusCode);
        await ProblemAsync(await client.GetAsync("/domains/acme.test"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.DeleteAsync("/domains/acme.test"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.DeleteAsync("/domains/not a domain"), HttpStatusCode.NotFound);
        Assert.Equal(["keep.test"], JsonNode.Parse(await client.GetStringAsync("/domains"))!["data"]!.AsArray().Select(d => (string)d!["name"]!));

        // Registered again, it gets a new key.
        var again = await client.RegisterDomainAsync("acme.test");
        Assert.NotEqual(DomainsTestKit.DkimRecord(first), DomainsTestKit.DkimRecord(again));
    }
}
