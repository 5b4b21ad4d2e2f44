using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.ApiKeys;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Templates;

/// <summary>
/// Stored templates end to end: the /templates API and its versions, sends that render them (with
/// per-message, per-recipient and per-batch-item variables) delivered to real MX hosts (aiosmtpd),
/// and per-recipient bodies whose DKIM signatures an independent verifier (dkimpy) accepts
/// through dnsmasq. Run on both storage modes.
/// </summary>
public abstract class TemplateTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    private async Task<HttpClient> AccountAsync(string prefix) => App.Client(await App.CreateKeyAsync($"{prefix}-{Guid.NewGuid():N}"));

    private static async Task<JsonNode> OkAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, not {(int)expected}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await OkAsync(response, expected);
    }

    private async Task<MimeMessage> ReceivedByAsync(string recipient) =>
        Assert.Single(await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(recipient))).Parse();

    [Fact]
    public async Task Templates_are_created_read_listed_updated_into_versions_and_deleted()
    {
        var client = await AccountAsync("crud");

        var created = await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "welcome", subject = "Hi {{name}}", text = "Welcome, {{name}}" }), HttpStatusCode.Created);
        var updated = await OkAsync(await client.PutAsJsonAsync("/templates/welcome", new { subject = "Hello {{name}}", html = "<p>Welcome, {{name}}</p>" }), HttpStatusCode.OK);
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "a.first", text = "x" }), HttpStatusCode.Created);

        Assert.Equal((1, 2), ((int)created["version"]!, (int)updated["version"]!));
        var latest = await OkAsync(await client.GetAsync("/templates/welcome"), HttpStatusCode.OK);
        Assert.Equal((2, "Hello {{name}}", "<p>Welcome, {{name}}</p>"), ((int)latest["version"]!, (string?)latest["subject"], (string?)latest["html"]));
        Assert.Null(latest["text"]);
        var first = await OkAsync(await client.GetAsync("/templates/welcome/versions/1"), HttpStatusCode.OK);
        Assert.Equal((1, "Welcome, {{name}}"), ((int)first["version"]!, (string?)first["text"]));
        await ProblemAsync(await client.GetAsync("/templates/welcome/versions/3"), HttpStatusCode.NotFound);

        // The list shape of every list endpoint, in name order, one page at a time.
        var page1 = await OkAsync(await client.GetAsync("/templates?limit=1"), HttpStatusCode.OK);
        Assert.Equal("a.first", (string?)page1["data"]![0]!["name"]);
        var page2 = await OkAsync(await client.GetAsync($"/templates?limit=1&cursor={(string?)page1["next_cursor"]}"), HttpStatusCode.OK);
        Assert.Equal(("welcome", 2), ((string?)page2["data"]![0]!["name"], (int)page2["data"]![0]!["version"]!));
        Assert.Null(page2["next_cursor"]);

        // Names are unique in the account, and another account does not see them.
        await ProblemAsync(await client.PostAsJsonAsync("/templates", new { name = "welcome", text = "again" }), HttpStatusCode.Conflict);
        var other = await AccountAsync("crud-other");
        await ProblemAsync(await other.GetAsync("/templates/welcome"), HttpStatusCode.NotFound);
        Assert.Empty((await OkAsync(await other.GetAsync("/templates"), HttpStatusCode.OK))["data"]!.AsArray());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/templates/welcome")).StatusCode);
        await ProblemAsync(await client.GetAsync("/templates/welcome"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.GetAsync("/templates/welcome/versions/1"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.DeleteAsync("/templates/welcome"), HttpStatusCode.NotFound);
        var again = await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "welcome", text = "new" }), HttpStatusCode.Created);
        Assert.Equal(1, (int)again["version"]!);
    }

    [Fact]
    public async Task Bad_syntax_is_a_400_naming_the_part_line_and_column_on_create_and_update()
    {
        var client = await AccountAsync("syntax");

        var create = await ProblemAsync(await client.PostAsJsonAsync("/templates", new { name = "bad", subject = "ok", html = "<p>\n  {{#each items}}\n  {{name}}\n</p>" }), HttpStatusCode.BadRequest);
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "good", text = "fine" }), HttpStatusCode.Created);
        var update = await ProblemAsync(await client.PutAsJsonAsync("/templates/good", new { text = "one\ntwo {{> partial}}" }), HttpStatusCode.BadRequest);

        var error = Assert.Single(create["template_errors"]!.AsArray())!;
        Assert.Equal(("html", 2, 3), ((string?)error["part"], (int)error["line"]!, (int)error["column"]!));
        Assert.Contains("never closed", (string?)error["message"]);
        Assert.Contains("line 2, column 3", (string?)create["errors"]!["html"]![0]);
        var partial = Assert.Single(update["template_errors"]!.AsArray())!;
        Assert.Equal(("text", 2, 5), ((string?)partial["part"], (int)partial["line"]!, (int)partial["column"]!));
        Assert.Equal(1, (int)(await OkAsync(await client.GetAsync("/templates/good"), HttpStatusCode.OK))["version"]!);
    }

    [Fact]
    public async Task Preview_renders_with_a_layout_escaping_html_and_lists_missing_variables()
    {
        var client = await AccountAsync("preview");
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "frame", html = "<html><b>{{brand}}</b>{{{body}}}</html>", text = "{{brand}}\n{{{body}}}" }), HttpStatusCode.Created);
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "note", layout = "frame", subject = "For {{name}}", html = "<p>{{name}} {{missing}}</p>", text = "{{name}}" }), HttpStatusCode.Created);

        var preview = await OkAsync(await client.PostAsJsonAsync("/templates/note/render", new { variables = new { brand = "Acme & Co", name = "<Ann>" } }), HttpStatusCode.OK);

        Assert.Equal("For <Ann>", (string?)preview["subject"]);
        Assert.Equal("<html><b>Acme &amp; Co</b><p>&lt;Ann&gt; </p></html>", (string?)preview["html"]);
        Assert.Equal("Acme & Co\n<Ann>", (string?)preview["text"]);
        Assert.Equal(["'missing' has no value (html)"], preview["template_warnings"]!.AsArray().Select(w => (string)w!));
        await ProblemAsync(await client.PostAsJsonAsync("/templates", new { name = "self", layout = "self", text = "x" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await client.PostAsJsonAsync("/templates", new { name = "orphan", layout = "nope", text = "x" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_send_renders_the_latest_version_or_the_pinned_one_and_warns_of_missing_variables()
    {
        var client = await AccountAsync("send");
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "receipt", subject = "Receipt {{number}}", text = "v1 {{total}}", html = "<p>v1 {{item}}</p>" }), HttpStatusCode.Created);
        await OkAsync(await client.PutAsJsonAsync("/templates/receipt", new { subject = "Receipt {{number}}\r\nBcc: x@example.test", text = "v2 {{total}} {{note}}", html = "<p>v2 {{item}}</p>" }), HttpStatusCode.OK);
        var (latestTo, pinnedTo) = (Unique("latest"), Unique("pinned"));
        var variables = new { number = 7, total = 12.50m, item = "<script>alert(1)</script>" };

        var latest = await OkAsync(await client.PostAsJsonAsync("/messages", new { from = "shop@acme.test", to = latestTo, template = "receipt", variables }), HttpStatusCode.Accepted);
        var pinned = await OkAsync(await client.PostAsJsonAsync("/messages", new { from = "shop@acme.test", to = pinnedTo, template = "receipt", template_version = 1, variables }), HttpStatusCode.Accepted);

        Assert.Equal(["'note' has no value (text)"], latest["template_warnings"]!.AsArray().Select(w => (string)w!));
        Assert.Empty(pinned["template_warnings"]!.AsArray());
        var v2 = await ReceivedByAsync(latestTo);
        Assert.Equal("Receipt 7 Bcc: x@example.test", v2.Subject);
        Assert.Empty(v2.Bcc);
        Assert.Equal("v2 12.50", v2.TextBody!.TrimEnd());
        Assert.Equal("<p>v2 &lt;script&gt;alert(1)&lt;/script&gt;</p>", v2.HtmlBody!.TrimEnd());
        var v1 = await ReceivedByAsync(pinnedTo);
        Assert.Equal(("Receipt 7", "v1 12.50"), (v1.Subject, v1.TextBody!.TrimEnd()));
        var status = await client.GetMessageAsync((string)latest["id"]!);
        Assert.Equal("Receipt 7 Bcc: x@example.test", (string?)status["subject"]);
    }

    [Fact]
    public async Task A_send_with_a_template_is_refused_when_it_also_gives_content_or_names_what_does_not_exist()
    {
        var client = await AccountAsync("refused");
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "t", text = "hi" }), HttpStatusCode.Created);

        var both = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = Unique("x"), template = "t", subject = "s" }), HttpStatusCode.BadRequest);
        var missing = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = Unique("x"), template = "nope" }), HttpStatusCode.BadRequest);
        var version = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = Unique("x"), template = "t", template_version = 9 }), HttpStatusCode.BadRequest);
        var loose = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = Unique("x"), text = "t", variables = new { a = 1 } }), HttpStatusCode.BadRequest);
        var recipient = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = new object[] { new { email = Unique("x"), variables = new { a = 1 } } }, text = "t" }), HttpStatusCode.BadRequest);

        Assert.Contains("comes from the template", (string?)both["errors"]!["subject"]![0]);
        Assert.Contains("no template 'nope'", (string?)missing["errors"]!["template"]![0]);
        Assert.Contains("no version 9", (string?)version["errors"]!["template_version"]![0]);
        Assert.NotNull(loose["errors"]!["variables"]);
        Assert.NotNull(recipient["errors"]!["to"]);
    }

    [Fact]
    public async Task A_send_key_sends_with_templates_but_does_not_manage_them()
    {
        var account = $"scoped-{Guid.NewGuid():N}";
        var full = App.Client(await App.CreateKeyAsync(account));
        var sender = App.ClientOf(await App.CreateKeyAsync(new { name = "sender", account_id = account, scope = "send" }));
        await OkAsync(await full.PostAsJsonAsync("/templates", new { name = "t", text = "Hi {{name}}" }), HttpStatusCode.Created);
        var to = Unique("scoped");

        await OkAsync(await sender.PostAsJsonAsync("/messages", new { from = "a@acme.test", to, template = "t", variables = new { name = "Sam" } }), HttpStatusCode.Accepted);

        await ProblemAsync(await sender.PostAsJsonAsync("/templates", new { name = "mine", text = "x" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await sender.PutAsJsonAsync("/templates/t", new { text = "changed" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await sender.GetAsync("/templates/t"), HttpStatusCode.Forbidden);
        await ProblemAsync(await sender.DeleteAsync("/templates/t"), HttpStatusCode.Forbidden);
        Assert.Equal("Hi Sam", (await ReceivedByAsync(to)).TextBody!.TrimEnd());
    }

    [Fact]
    public async Task Per_recipient_variables_give_each_recipient_its_own_body_whose_dkim_signature_dkimpy_verifies()
    {
        var account = $"personal-{Guid.NewGuid():N}";
        var shop = App.Client(await App.CreateKeyAsync(account));
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("acme.test"));
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));
        await OkAsync(await shop.PostAsJsonAsync("/templates", new { name = "hello", subject = "Hello {{name}}", html = "<p>Dear {{name}}, your code is {{code}}.</p>", text = "Dear {{name}}, your code is {{code}}." }), HttpStatusCode.Created);
        string[] to = [Unique("ann"), Unique("bob"), Unique("carl")];

        var accepted = await OkAsync(await shop.PostAsJsonAsync("/messages", new
        {
            from = "Acme <orders@acme.test>",
            to = new object[]
            {
                new { email = to[0], name = "Ann", variables = new { name = "Ann", code = "A-1" } },
                new { email = to[1], variables = new { name = "Bob <3", code = "B-2" } },
                to[2],
            },
            template = "hello",
            variables = new { name = "customer", code = "none" },
        }), HttpStatusCode.Accepted);

        await shop.WaitForStatusAsync((string)accepted["id"]!, Patience, "delivered");
        var received = await World.Mx1.WaitForMessagesAsync(3, Patience, m => m.RcptTos.Intersect(to).Any());
        Assert.Equal(3, received.Count);
        var byRecipient = to.ToDictionary(t => t, t => received.Single(m => m.RcptTos.Contains(t)));
        Assert.Equal(
            [("Hello Ann", "Dear Ann, your code is A-1."), ("Hello Bob <3", "Dear Bob <3, your code is B-2."), ("Hello customer", "Dear customer, your code is none.")],
            to.Select(t => byRecipient[t].Parse()).Select(m => (m.Subject, m.TextBody!.TrimEnd())));
        Assert.Equal("<p>Dear Bob &lt;3, your code is B-2.</p>", byRecipient[to[1]].Parse().HtmlBody!.TrimEnd());
        foreach (var recipient in to)
        {
            var (verified, output) = await DkimPy.VerifyAsync(byRecipient[recipient].Raw, dns);
            Assert.True(verified, $"dkimpy does not verify the message to {recipient}: {output}");
        }

        // dkimpy is not a yes-man: Bob's body under Ann's headers and signature fails.
        var forged = Splice(byRecipient[to[0]].Raw, byRecipient[to[1]].Raw);
        Assert.False((await DkimPy.VerifyAsync(forged, dns)).Verified);
    }

    [Fact]
    public async Task A_batch_renders_each_item_with_its_own_variables_and_reports_each_items_warnings()
    {
        var client = await AccountAsync("batch");
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "notice", subject = "Notice", text = "Item {{n}} {{extra}}" }), HttpStatusCode.Created);
        string[] to = [Unique("one"), Unique("two")];

        var results = (await OkAsync(await client.PostAsJsonAsync("/messages/batch", new object[]
        {
            new { from = "a@acme.test", to = to[0], template = "notice", variables = new { n = 1, extra = "!" } },
            new { from = "a@acme.test", to = to[1], template = "notice", variables = new { n = 2 } },
            new { from = "a@acme.test", to = Unique("three"), template = "absent" },
        }), HttpStatusCode.OK)).AsArray();

        Assert.Empty(results[0]!["template_warnings"]!.AsArray());
        Assert.Equal(["'extra' has no value (text)"], results[1]!["template_warnings"]!.AsArray().Select(w => (string)w!));
        Assert.Equal(400, (int)results[2]!["status"]!);
        Assert.NotNull(results[2]!["errors"]!["[2].template"]);
        Assert.Equal("Item 1 !", (await ReceivedByAsync(to[0])).TextBody!.TrimEnd());
        Assert.Equal("Item 2", (await ReceivedByAsync(to[1])).TextBody!.TrimEnd());
    }

    [Fact]
    public async Task A_template_looping_over_large_variables_is_refused_within_a_generous_bound()
    {
        var client = await AccountAsync("hostile");
        await OkAsync(await client.PostAsJsonAsync("/templates", new { name = "loops", text = "{{#each a}}{{#each ../a}}{{#each ../../a}}{{#each ../../../a}}x{{/each}}{{/each}}{{/each}}{{/each}}" }), HttpStatusCode.Created);
        var clock = Stopwatch.StartNew();

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/messages", new { from = "a@acme.test", to = Unique("x"), template = "loops", variables = new { a = Enumerable.Range(0, 3000).ToArray() } }), HttpStatusCode.BadRequest);
        var preview = await ProblemAsync(await client.PostAsJsonAsync("/templates/loops/render", new { variables = new { a = Enumerable.Range(0, 3000).ToArray() } }), HttpStatusCode.BadRequest);

        Assert.Contains("too much work", (string?)problem["errors"]!["template"]![0]);
        Assert.Contains("too much work", (string?)preview["detail"]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        var huge = await ProblemAsync(await client.PostAsJsonAsync("/templates", new { name = "huge", text = new string('x', 100_001) }), HttpStatusCode.BadRequest);
        Assert.NotNull(huge["errors"]!["text"]);
    }

    /// <summary>The headers of <paramref name="headersFrom"/> over the body of <paramref name="bodyFrom"/>.</summary>
    private static byte[] Splice(byte[] headersFrom, byte[] bodyFrom)
    {
        static int BodyStart(byte[] raw) => raw.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        return [.. headersFrom.AsSpan(0, BodyStart(headersFrom)), .. bodyFrom.AsSpan(BodyStart(bodyFrom))];
    }
}

public sealed class EmbeddedTemplateTests(DeliveryWorld world) : TemplateTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisTemplateTests(DeliveryWorld world) : TemplateTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
