using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using static SendApi.IntegrationTests.ApiKeys.ApiKeysTestKit;

namespace SendApi.IntegrationTests.ApiKeys;

/// <summary>
/// Scoped and domain-bound API keys on real Kestrel and the real SMTP listener, on both storage
/// modes: what each scope may do over HTTP and SMTP, the From domains a key may send as, and
/// what <c>GET /api-keys</c> shows of them.
/// </summary>
public abstract class ScopedKeyTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Smtp:AllowInsecureAuth"] = "true";
    }

    private async Task<(HttpClient Client, JsonNode Key)> KeyAsync(string account, object? extra = null)
    {
        var request = JsonSerializerNode(new { name = account, account_id = account });
        foreach (var (name, value) in JsonSerializerNode(extra ?? new { }).AsObject())
        {
            request[name] = value?.DeepClone();
        }

        var key = await App.CreateKeyAsync(request);
        return (App.ClientOf(key), key);
    }

    private static JsonObject JsonSerializerNode(object value) => System.Text.Json.JsonSerializer.SerializeToNode(value)!.AsObject();

    [Fact]
    public async Task A_read_key_reads_everything_on_its_account_but_may_not_send_or_change_anything()
    {
        var account = $"read-{Guid.NewGuid():N}";
        var (full, _) = await KeyAsync(account);
        var id = await full.SendAsync(Mail("orders@acme.test", Unique("bob")));
        var (reader, key) = await KeyAsync(account, new { scope = "read" });
        Assert.Equal("read", (string?)key["scope"]);

        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/suppressions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/webhooks")).StatusCode);

        var send = await AssertProblemAsync(await reader.PostAsJsonAsync("/messages", Mail("orders@acme.test", Unique("bob"))), HttpStatusCode.Forbidden);
        Assert.Contains("'read' scope", (string?)send["detail"]);
        await AssertProblemAsync(await reader.PostAsJsonAsync("/suppressions", new { address = Unique("carol") }), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await reader.DeleteAsync($"/suppressions/{Unique("carol")}"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await reader.PostAsJsonAsync("/domains", new { name = "acme.test" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_send_key_sends_and_reads_only_the_messages_it_sent()
    {
        var account = $"send-{Guid.NewGuid():N}";
        var (full, _) = await KeyAsync(account);
        var othersMessage = await full.SendAsync(Mail("orders@acme.test", Unique("bob")));
        var (sender, key) = await KeyAsync(account, new { scope = "send" });

        var own = await sender.SendAsync(Mail("orders@acme.test", Unique("bob")));

        Assert.Equal("send", (string?)key["scope"]);
        Assert.Equal(HttpStatusCode.OK, (await sender.GetAsync($"/messages/{own}")).StatusCode);
        await AssertProblemAsync(await sender.GetAsync($"/messages/{othersMessage}"), HttpStatusCode.NotFound);
        Assert.Equal([own], await SearchAllAsync(sender, "/messages"));
        await AssertProblemAsync(await sender.GetAsync("/suppressions"), HttpStatusCode.Forbidden);
        // Stats count the whole account's mail, not the key's: closed to a send key.
        var stats = await AssertProblemAsync(await sender.GetAsync("/stats"), HttpStatusCode.Forbidden);
        Assert.Contains("'send' scope", (string?)stats["detail"]);
        await AssertProblemAsync(await sender.PostAsJsonAsync("/webhooks", new { url = "https://hooks.acme.test/x", events = new[] { "message.delivered" } }), HttpStatusCode.Forbidden);

        // The full key of the same account still sees both.
        Assert.Equal(HttpStatusCode.OK, (await full.GetAsync($"/messages/{own}")).StatusCode);
    }

    [Fact]
    public async Task Two_send_keys_of_one_account_each_find_only_their_own_messages_page_by_page_and_a_full_key_finds_all()
    {
        var account = $"search-{Guid.NewGuid():N}";
        var (full, _) = await KeyAsync(account);
        var (first, firstKey) = await KeyAsync(account, new { scope = "send" });
        var (second, _) = await KeyAsync(account, new { scope = "send" });
        var to = Unique("bob");
        var byFull = await full.SendAsync(Mail("orders@acme.test", to));
        var byFirst = new List<string>();
        var bySecond = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            byFirst.Add(await first.SendAsync(Mail("orders@acme.test", to)));
            bySecond.Add(await second.SendAsync(Mail("orders@acme.test", to)));
        }

        // Over SMTP the key is recorded on the message just as over HTTP.
        using (var smtp = await App.SubmissionClientAsync((string)firstKey["key"]!))
        {
            await smtp.SendAsync(MimeMail("orders@acme.test", to));
            await smtp.DisconnectAsync(quit: true);
        }

        var firstFinds = await SearchAllAsync(first, $"/messages?recipient={Uri.EscapeDataString(to)}&limit=2");
        var secondFinds = await SearchAllAsync(second, "/messages?limit=2");
        var fullFinds = await SearchAllAsync(full, $"/messages?recipient={Uri.EscapeDataString(to)}&limit=2");

        // Sets, not orders: two sends a moment apart may share a millisecond, and ids within one are not ordered.
        Assert.Equal(4, firstFinds.Distinct().Count());
        Assert.Subset(firstFinds.ToHashSet(), byFirst.ToHashSet());
        Assert.Equal(bySecond.Order(StringComparer.Ordinal), secondFinds.Order(StringComparer.Ordinal));
        Assert.Equal(firstFinds.Concat(secondFinds).Append(byFull).Order(StringComparer.Ordinal), fullFinds.Order(StringComparer.Ordinal));
        Assert.Empty(await SearchAllAsync(second, $"/messages?recipient={Uri.EscapeDataString(to)}&since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}"));
    }

    /// <summary>Every page of a search, following next_cursor; the ids in the order they came.</summary>
    private static async Task<List<string>> SearchAllAsync(HttpClient client, string query)
    {
        var ids = new List<string>();
        var separator = query.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        string? cursor = null;
        for (var pages = 0; pages < 50; pages++)
        {
            var response = await client.GetAsync(cursor is null ? query : $"{query}{separator}cursor={cursor}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {query} answered {(int)response.StatusCode}: {body}");
            var page = JsonNode.Parse(body)!;
            ids.AddRange(page["data"]!.AsArray().Select(m => (string)m!["id"]!));
            if ((cursor = (string?)page["next_cursor"]) is null)
            {
                return ids;
            }
        }

        throw new InvalidOperationException($"GET {query}: the cursor never ended.");
    }

    [Fact]
    public async Task A_full_key_does_everything_on_its_account_but_manages_no_keys()
    {
        var (full, key) = await KeyAsync($"full-{Guid.NewGuid():N}", new { scope = "full" });

        var id = await full.SendAsync(Mail("orders@acme.test", Unique("bob")));
        Assert.Equal(HttpStatusCode.OK, (await full.GetAsync($"/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await full.GetAsync("/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await full.PostAsJsonAsync("/suppressions", new { address = Unique("carol") })).StatusCode);
        Assert.Equal("full", (string?)key["scope"]);

        var keys = await AssertProblemAsync(await full.GetAsync("/api-keys"), HttpStatusCode.Forbidden);
        Assert.Contains("admin key", (string?)keys["detail"]);
    }

    [Fact]
    public async Task A_key_created_with_an_unknown_scope_or_a_bad_domain_is_refused_with_field_errors()
    {
        var response = await App.Client().PostAsJsonAsync("/api-keys", new { name = "x", scope = "admin", domains = new[] { "not a domain" }, rate_limit = 0 });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains(errors, e => e.Key == "scope");
        Assert.Contains(errors, e => e.Key.StartsWith("domains", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Key == "rate_limit");
    }

    [Fact]
    public async Task A_domain_bound_key_is_refused_another_From_domain_with_403_and_sends_as_its_own()
    {
        var (shop, key) = await KeyAsync($"bound-{Guid.NewGuid():N}", new { domains = new[] { "Shop.Acme.test" } });
        Assert.Equal(["shop.acme.test"], key["domains"]!.AsArray().Select(d => (string)d!));
        var to = Unique("bob");

        var refused = await AssertProblemAsync(await shop.PostAsJsonAsync("/messages", Mail("orders@acme.test", to)), HttpStatusCode.Forbidden);
        var id = await shop.SendAsync(Mail("Shop <orders@shop.acme.test>", to));

        Assert.Equal("This API key may not send from this domain.", (string?)refused["title"]);
        Assert.Contains("shop.acme.test", (string?)refused["detail"]);
        await shop.WaitForStatusAsync(id, Patience, "delivered");
        var received = Assert.Single(World.Mx1.Messages, m => m.RcptTos.Contains(to));
        Assert.Equal("orders@shop.acme.test", Assert.Single(received.Parse().From.Mailboxes).Address);
    }

    [Fact]
    public async Task Over_SMTP_a_domain_bound_key_is_refused_another_domain_with_550_5_7_1_in_the_envelope_and_in_the_From_header()
    {
        var key = await App.CreateKeyAsync(new { name = "smtp-bound", domains = new[] { "shop.acme.test" } });
        var (tcp, smtp) = await App.RawSubmissionAsync((string)key["key"]!);
        using var connection = tcp;
        var to = Unique("bob");

        var envelope = await smtp.CommandAsync("MAIL FROM:<orders@acme.test>", "550");
        var header = await smtp.SendAsync("orders@shop.acme.test", "orders@acme.test", to);
        var own = await smtp.SendAsync("orders@shop.acme.test", "Shop <orders@shop.acme.test>", to);

        Assert.StartsWith("550 5.7.1 ", envelope);
        Assert.Contains("shop.acme.test", envelope);
        Assert.StartsWith("550 5.7.1 ", header);
        Assert.StartsWith("250 2.0.0 ", own);
        await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to));
        Assert.Single(World.Mx1.Messages, m => m.RcptTos.Contains(to));
    }

    [Fact]
    public async Task Over_SMTP_a_read_key_authenticates_but_may_not_send()
    {
        var key = await App.CreateKeyAsync(new { name = "smtp-read", scope = "read" });
        var (tcp, smtp) = await App.RawSubmissionAsync((string)key["key"]!);
        using var connection = tcp;

        var reply = await smtp.CommandAsync("MAIL FROM:<orders@acme.test>", "550");

        Assert.StartsWith("550 5.7.1 ", reply);
        Assert.Contains("'read' scope", reply);
    }

    [Fact]
    public async Task The_key_list_shows_prefix_name_scope_domains_limits_creation_and_when_each_was_last_used()
    {
        var created = await App.CreateKeyAsync(new { name = "listed", scope = "send", domains = new[] { "acme.test" }, rate_limit = 50 });
        var idle = await App.CreateKeyAsync(new { name = "never used" });
        var secret = (string)created["key"]!;
        Assert.StartsWith((string)created["prefix"]!, secret);
        Assert.Equal(8, ((string)created["prefix"]!).Length);

        await App.Client(secret).SendAsync(Mail("orders@acme.test", Unique("bob")));

        // Written by the background recorder, not by the request: wait for it.
        JsonNode listed;
        var deadline = DateTimeOffset.UtcNow + Patience;
        do
        {
            var page = JsonNode.Parse(await App.Client().GetStringAsync("/api-keys?limit=1000"))!;
            listed = page["data"]!.AsArray().Single(k => (string?)k!["id"] == (string?)created["id"])!;
            if (listed["last_used_at"] is not null || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (true);

        Assert.Equal((string?)created["prefix"], (string?)listed["prefix"]);
        Assert.Equal("listed", (string?)listed["name"]);
        Assert.Equal("send", (string?)listed["scope"]);
        Assert.Equal(["acme.test"], listed["domains"]!.AsArray().Select(d => (string)d!));
        Assert.Equal(50, (int)listed["rate_limit"]!);
        Assert.False((bool)listed["sandbox"]!);
        Assert.NotNull(listed["created_at"]);
        Assert.NotNull(listed["last_used_at"]);
        Assert.DoesNotContain(secret, listed.ToJsonString(), StringComparison.Ordinal);

        var all = JsonNode.Parse(await App.Client().GetStringAsync("/api-keys?limit=1000"))!["data"]!.AsArray();
        var never = all.Single(k => (string?)k!["id"] == (string?)idle["id"])!;
        Assert.Null(never["last_used_at"]);
        Assert.Equal("full", (string?)never["scope"]);
        Assert.Empty(never["domains"]!.AsArray());
    }
}

public sealed class EmbeddedScopedKeyTests(DeliveryWorld world) : ScopedKeyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisScopedKeyTests(DeliveryWorld world) : ScopedKeyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
