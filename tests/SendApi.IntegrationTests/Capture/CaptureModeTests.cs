using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// Delivery:Mode=capture end to end on real Kestrel, with the recipients' MX hosts up and
/// reachable (DeliveryWorld), so that mail which escaped capture would arrive there: messages go
/// through the whole pipeline and are kept instead, with what the API shows of them. Run on both
/// storage modes.
/// </summary>
public abstract partial class CaptureModeTests(DeliveryWorld world, CaptureFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    [GeneratedRegex(@"\AOk: captured as (?<id>cap_[0-9a-f]{32})\z")]
    private static partial Regex CapturedAs();

    /// <summary>The class's application: capture mode on the class's storage, the recipients' MX hosts reachable.</summary>
    private SendApiApp App => fixture.App(world);

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    [Fact]
    public async Task Each_domain_s_transaction_is_captured_with_its_envelope_and_the_recipients_are_delivered_without_reaching_their_MX()
    {
        var http = App.Client();
        var (to, cc, bcc) = (Unique("bob"), Unique("carol", "afallback.test"), Unique("audit"));
        var id = await http.SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { to }, cc = new[] { cc }, bcc = new[] { bcc }, subject = "Captured, not sent", text = "x" });

        var status = await http.WaitForStatusAsync(id, Patience, "delivered");
        var captureIds = new HashSet<string>();
        foreach (var address in new[] { to, cc, bcc })
        {
            var reply = status.Recipient(address)["last_response"]!;
            Assert.Equal(250, (int)reply["code"]!);
            Assert.Equal("2.0.0", (string?)reply["enhanced_code"]);
            var match = CapturedAs().Match((string)reply["text"]!);
            Assert.True(match.Success, $"Not a capture reply: {reply}");
            captureIds.Add(match.Groups["id"].Value);
        }

        Assert.All(status.Events("delivered"), e => Assert.Equal("capture", (string?)e["mx"]));
        var captures = await http.CapturesOfAsync(id);
        Assert.Equal(captureIds.Order(), captures.Select(c => (string)c["id"]!).Order());
        var mx1 = Assert.Single(captures, c => c["envelope"]!["rcpt_to"].Strings().Contains(to));
        Assert.Equal([to, bcc], mx1["envelope"]!["rcpt_to"].Strings());
        Assert.Matches($"^bounces\\+{id}-m-[a-z2-7]{{8}}@bounces\\.sendapi\\.test$", (string?)mx1["envelope"]!["mail_from"]);
        var fallback = Assert.Single(captures, c => c["envelope"]!["rcpt_to"].Strings().Contains(cc));
        Assert.Matches($"^bounces\\+{id}-1-[a-z2-7]{{8}}@bounces\\.sendapi\\.test$", (string?)fallback["envelope"]!["mail_from"]);
        Assert.Equal("Captured, not sent", (string?)fallback["subject"]);
        Assert.Equal("orders@acme.test", (string?)fallback["from"]!["address"]);

        var raw = await http.GetByteArrayAsync($"/captured/{mx1["id"]}/raw");
        Assert.Equal((long)mx1["size"]!, raw.LongLength);
        Assert.DoesNotContain(bcc, System.Text.Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        Assert.DoesNotContain(world.Mx1.Messages, m => m.RcptTos.Contains(to) || m.RcptTos.Contains(bcc));
        Assert.DoesNotContain(world.Fallback.Messages, m => m.RcptTos.Contains(cc));
    }

    [Fact]
    public async Task Large_messages_sent_at_once_each_go_out_with_their_own_body()
    {
        // Their bodies and their MIME pass through pooled buffers, handed back as each is stored:
        // a buffer handed back too early would put one request's bytes into another's message.
        var http = App.Client();
        var texts = Enumerable.Range(0, 12).Select(i => string.Concat(Enumerable.Range(0, 1400).Select(k => $"message {i} line {k} {new string((char)('a' + i), 50)}\n"))).ToList();

        var ids = await Task.WhenAll(texts.Select(text => http.SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { Unique("bob") }, subject = "Large", text })));

        for (var i = 0; i < ids.Length; i++)
        {
            await http.WaitForStatusAsync(ids[i], Patience, "delivered");
            var capture = Assert.Single(await http.CapturesOfAsync(ids[i]));
            var raw = await http.GetByteArrayAsync($"/captured/{capture["id"]}/raw");
            var body = MimeMessage.Load(new MemoryStream(raw)).TextBody!.ReplaceLineEndings("\n");
            Assert.True(texts[i] == body, $"Message {i} went out with another body");
        }
    }

    /// <summary>
    /// Capture stands in for the last hop only: the suppression list is checked before it, so a
    /// suppressed address gets no capture (nothing "would have been sent" to it), while the other
    /// recipient of the same message, at the same domain, is captured alone in the envelope.
    /// </summary>
    [Fact]
    public async Task A_suppressed_recipient_is_not_captured_while_another_recipient_of_the_same_message_is()
    {
        var app = App;
        var http = app.Client(await app.CreateKeyAsync($"suppressed-{Guid.NewGuid():N}"));
        var (gone, bob) = (Unique("gone"), Unique("bob"));
        using (var suppressed = await http.PostAsJsonAsync("/suppressions", new { address = gone }))
        {
            Assert.True(suppressed.StatusCode == HttpStatusCode.Created, $"POST /suppressions answered {(int)suppressed.StatusCode}: {await suppressed.Content.ReadAsStringAsync()}");
        }

        var id = await http.SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { gone, bob }, subject = "One suppressed", text = "x" });

        var status = await http.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal("delivered", (string?)status.Recipient(bob)["status"]);
        Assert.Matches(CapturedAs(), (string)status.Recipient(bob)["last_response"]!["text"]!);
        Assert.Equal("suppressed", (string?)status.Recipient(gone)["status"]);
        Assert.Equal(0, (int)status.Recipient(gone)["attempts"]!);
        var suppressedEvent = Assert.Single(status.Events("suppressed"));
        Assert.Equal(gone, (string?)suppressedEvent["recipient"]);
        Assert.DoesNotContain(status.Events("delivered"), e => (string?)e["recipient"] == gone);
        var capture = Assert.Single(await http.CapturesOfAsync(id));
        Assert.Equal([bob], capture["envelope"]!["rcpt_to"].Strings());
        var everything = (await http.ListCapturedAsync("?limit=500"))["data"]!.AsArray();
        Assert.DoesNotContain(everything, c => c!["envelope"]!["rcpt_to"].Strings().Contains(gone, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_raw_bytes_are_the_DKIM_signed_message_a_receiver_verifies()
    {
        var app = App;
        var shop = app.Client(await app.CreateKeyAsync($"dkim-{Guid.NewGuid():N}"));
        var (recordName, recordValue) = DomainsTestKit.DkimRecord(await shop.RegisterDomainAsync("acme.test"));
        await using var dns = await DnsServer.StartAsync(zone => zone.Txt(recordName, recordValue));

        var id = await shop.SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { Unique("bob") }, subject = "Signed — ünïcödé", text = "Grüße\n.\nlone dot", html = "<p>Hi</p>" });
        await shop.WaitForStatusAsync(id, Patience, "delivered");
        var capture = Assert.Single(await shop.CapturesOfAsync(id));

        using var response = await shop.GetAsync($"/captured/{capture["id"]}/raw");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message/rfc822", response.Content.Headers.ContentType?.MediaType);
        var raw = await response.Content.ReadAsByteArrayAsync();
        var received = MimeMessage.Load(new MemoryStream(raw));
        Assert.True(await DomainsTestKit.VerifyAsync(received, dns.CreateLookupClient()));
        Assert.Equal("acme.test", DomainsTestKit.Tags(received.Headers[HeaderId.DkimSignature]!)["d"]);
        var detail = await shop.GetCapturedAsync((string)capture["id"]!);
        Assert.Contains(detail["headers"]!.AsArray(), h => (string?)h!["name"] == "DKIM-Signature");
        Assert.Equal("Signed — ünïcödé", (string?)detail["subject"]);
    }

    [Fact]
    public async Task Each_body_of_a_message_with_variants_is_captured_apart_with_the_exact_bytes_its_recipients_got()
    {
        var app = App;
        var account = $"variants-{Guid.NewGuid():N}";
        var http = app.Client(await app.CreateKeyAsync(account));
        string[] to = [Unique("ann"), Unique("bob"), Unique("carl"), Unique("dora")];

        var id = await app.AcceptWithVariantsAsync(account, "Acme <orders@acme.test>", to, "Your order", "Hello, customer",
            ("Hello, Bob and Carl", [1, 2]), ("Hello, Dora", [3]));

        await http.WaitForStatusAsync(id, Patience, "delivered");
        var captures = await http.CapturesOfAsync(id);
        Assert.Equal(3, captures.Count);
        var captured = new List<(string Recipients, string Text)>();
        foreach (var capture in captures)
        {
            var raw = await http.GetByteArrayAsync($"/captured/{capture["id"]}/raw");
            Assert.Equal((long)capture["size"]!, raw.LongLength);
            captured.Add((string.Join(" ", capture["envelope"]!["rcpt_to"].Strings().Order(StringComparer.Ordinal)),
                MimeMessage.Load(new MemoryStream(raw)).TextBody!.TrimEnd()));
        }

        Assert.Equal(
            [(to[0], "Hello, customer"), ($"{to[1]} {to[2]}", "Hello, Bob and Carl"), (to[3], "Hello, Dora")],
            captured.OrderBy(c => c.Recipients, StringComparer.Ordinal));
        Assert.DoesNotContain(world.Mx1.Messages, m => m.RcptTos.Intersect(to).Any());
    }

    [Fact]
    public async Task Only_the_newest_Capture_MaxMessages_are_kept()
    {
        // Storage of its own: the class's application would capture these messages too, with its own bound.
        var storage = await StorageUnderTest.StartAsync(fixture.OnRedis);
        _owned.Add(storage);
        var settings = storage.Settings();
        settings["Delivery:Mode"] = "capture";
        settings["Capture:MaxMessages"] = "3";
        var app = new SendApiApp(settings);
        _owned.Add(app);
        var http = app.Client();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = await http.SendAsync(new { from = "a@acme.test", to = new[] { Unique("bound") }, subject = $"bound {i}", text = "x" });
            await http.WaitForStatusAsync(id, Patience, "delivered");
            ids.Add(id);
        }

        var listed = (await http.ListCapturedAsync())["data"]!.AsArray();
        Assert.Equal(["bound 4", "bound 3", "bound 2"], listed.Select(c => (string)c!["subject"]!));
        var oldest = (await http.GetMessageAsync(ids[0]))["recipients"]![0]!["last_response"]!;
        var dropped = CapturedAs().Match((string)oldest["text"]!).Groups["id"].Value;
        using var gone = await http.GetAsync($"/captured/{dropped}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Capture_MaxBytes_bounds_what_one_message_to_many_domains_keeps()
    {
        var storage = await StorageUnderTest.StartAsync(fixture.OnRedis);
        _owned.Add(storage);
        var settings = storage.Settings();
        settings["Delivery:Mode"] = "capture";
        settings["Capture:MaxBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var app = new SendApiApp(settings);
        _owned.Add(app);
        var http = app.Client();

        // Five transactions of about 410 KB each (300 KB in base64): two fit in a mebibyte.
        var to = Enumerable.Range(0, 5).Select(i => Unique("wide", $"d{i}.example.test")).ToArray();
        var id = await http.SendAsync(new
        {
            from = "a@acme.test",
            to,
            subject = "to five domains",
            text = "x",
            attachments = new[] { new { filename = "big.bin", content = Convert.ToBase64String(new byte[300_000]) } },
        });
        var status = await http.WaitForStatusAsync(id, Patience, "delivered");

        Assert.All(to, address => Assert.Equal("delivered", (string?)status.Recipient(address)["status"]));
        var kept = await http.CapturesOfAsync(id);
        Assert.Equal(2, kept.Count);
        Assert.True(kept.Sum(c => (long)c["size"]!) <= 1024 * 1024);
    }

    [Fact]
    public async Task An_account_sees_only_its_own_captures_and_an_admin_sees_everyone_s()
    {
        var app = App;
        var admin = app.Client();
        var (accountA, accountB) = ($"a-{Guid.NewGuid():N}", $"b-{Guid.NewGuid():N}");
        var a = app.Client(await app.CreateKeyAsync(accountA));
        var b = app.Client(await app.CreateKeyAsync(accountB));
        var mineId = await a.SendAsync(new { from = "a@acme.test", to = new[] { Unique("x") }, subject = "A's", text = "x", attachments = new[] { new { filename = "a.txt", content = "QQ==" } } });
        var theirsId = await b.SendAsync(new { from = "b@acme.test", to = new[] { Unique("y") }, subject = "B's", text = "y" });
        await a.WaitForStatusAsync(mineId, Patience, "delivered");
        await b.WaitForStatusAsync(theirsId, Patience, "delivered");

        var mine = (await a.ListCapturedAsync())["data"]!.AsArray();
        Assert.Equal(["A's"], mine.Select(c => (string)c!["subject"]!));
        Assert.Equal(accountA, (string?)mine[0]!["account_id"]);
        var theirs = (string)Assert.Single(await b.CapturesOfAsync(theirsId))["id"]!;
        var mineCapture = (string)mine[0]!["id"]!;
        foreach (var path in new[] { $"/captured/{mineCapture}", $"/captured/{mineCapture}/raw", $"/captured/{mineCapture}/attachments/0" })
        {
            Assert.Equal(HttpStatusCode.OK, (await a.GetAsync(path)).StatusCode);
            using var refused = await b.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/captured/{theirs}")).StatusCode);
        var everyone = await admin.ListCapturedAsync("?limit=500");
        var accounts = everyone["data"]!.AsArray().Select(c => (string)c!["account_id"]!).ToList();
        Assert.Contains(accountA, accounts);
        Assert.Contains(accountB, accounts);
        Assert.Equal("B's", (string?)(await admin.GetCapturedAsync(theirs))["subject"]);
    }

    [Fact]
    public async Task Deleting_one_and_clearing_an_account_leave_the_other_accounts_captures()
    {
        var app = App;
        var a = app.Client(await app.CreateKeyAsync($"a-{Guid.NewGuid():N}"));
        var b = app.Client(await app.CreateKeyAsync($"b-{Guid.NewGuid():N}"));
        var ids = new List<string>();
        foreach (var (client, subject) in new[] { (a, "a1"), (a, "a2"), (a, "a3"), (b, "b1") })
        {
            var id = await client.SendAsync(new { from = "a@acme.test", to = new[] { Unique("del") }, subject, text = "x" });
            await client.WaitForStatusAsync(id, Patience, "delivered");
            ids.Add(id);
        }

        var first = (string)Assert.Single(await a.CapturesOfAsync(ids[0]))["id"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/captured/{first}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/captured/{first}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/captured/{first}")).StatusCode);

        using var cleared = await a.DeleteAsync("/captured");
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(2, (int)JsonNode.Parse(await cleared.Content.ReadAsStringAsync())!["deleted"]!);
        Assert.Empty((await a.ListCapturedAsync())["data"]!.AsArray());
        Assert.Equal(["b1"], (await b.ListCapturedAsync())["data"]!.AsArray().Select(c => (string)c!["subject"]!));

        var admin = app.Client();
        using var all = await admin.DeleteAsync("/captured");
        Assert.True((int)JsonNode.Parse(await all.Content.ReadAsStringAsync())!["deleted"]! >= 1);
        Assert.Empty((await admin.ListCapturedAsync())["data"]!.AsArray());
        Assert.Empty((await b.ListCapturedAsync())["data"]!.AsArray());
    }

    [Fact]
    public async Task The_detail_shows_the_bodies_and_attachments_and_downloads_cannot_run_in_the_API_s_origin()
    {
        var http = App.Client();
        var id = await http.SendAsync(new
        {
            from = "Acme <orders@acme.test>",
            to = new[] { "Bob <" + Unique("bob") + ">" },
            reply_to = "support@acme.test",
            subject = "Detail",
            text = "Plain text body",
            html = "<p>HTML body</p>",
            attachments = new[] { new { filename = "page.html", content = Convert.ToBase64String("<script>alert(1)</script>"u8.ToArray()), content_type = "text/html" } },
        });
        await http.WaitForStatusAsync(id, Patience, "delivered");
        var listed = Assert.Single(await http.CapturesOfAsync(id));
        Assert.True((bool)listed["has_text"]!);
        Assert.True((bool)listed["has_html"]!);
        Assert.Equal(1, (int)listed["attachment_count"]!);

        var detail = await http.GetCapturedAsync((string)listed["id"]!);
        Assert.Equal("Plain text body", ((string?)detail["text"])?.TrimEnd());
        Assert.Equal("<p>HTML body</p>", ((string?)detail["html"])?.TrimEnd());
        Assert.Equal("Bob", (string?)detail["to"]![0]!["name"]);
        Assert.Equal("support@acme.test", (string?)detail["reply_to"]![0]!["address"]);
        Assert.Equal(id, (string?)detail["message_id"]);
        Assert.Contains(detail["headers"]!.AsArray(), h => (string?)h!["name"] == "Content-Type" && ((string)h["value"]!).StartsWith("multipart/mixed", StringComparison.Ordinal));
        var attachment = detail["attachments"]![0]!;
        Assert.Equal("page.html", (string?)attachment["filename"]);
        Assert.Equal("text/html", (string?)attachment["content_type"]);

        using var download = await http.GetAsync($"/captured/{listed["id"]}/attachments/0");
        Assert.Equal("<script>alert(1)</script>", await download.Content.ReadAsStringAsync());
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("sandbox;", download.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/captured/{listed["id"]}/attachments/1")).StatusCode);
    }

    [Fact]
    public async Task Pages_run_newest_first_from_the_cursor_and_bad_paging_is_a_problem()
    {
        var app = App;
        var http = app.Client(await app.CreateKeyAsync($"pages-{Guid.NewGuid():N}"));
        foreach (var subject in new[] { "p0", "p1", "p2" })
        {
            await http.WaitForStatusAsync(await http.SendAsync(new { from = "a@acme.test", to = new[] { Unique("page") }, subject, text = "x" }), Patience, "delivered");
        }

        var first = await http.ListCapturedAsync("?limit=2");
        Assert.Equal(["p2", "p1"], first["data"]!.AsArray().Select(c => (string)c!["subject"]!));
        var second = await http.ListCapturedAsync($"?limit=2&cursor={first["next_cursor"]}");
        Assert.Equal(["p0"], second["data"]!.AsArray().Select(c => (string)c!["subject"]!));
        Assert.True(second.AsObject().ContainsKey("next_cursor"));
        Assert.Null(second["next_cursor"]);

        foreach (var (query, field) in new[] { ("?limit=0", "limit"), ("?limit=501", "limit"), ("?cursor=..%2Fmsg", "cursor") })
        {
            using var response = await http.GetAsync("/captured" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![field]);
        }
    }

    [Fact]
    public async Task Webhooks_report_captured_mail_as_delivered_via_capture()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var app = App;
        var http = app.Client(await app.CreateKeyAsync($"hooks-{Guid.NewGuid():N}"));
        await http.CreateWebhookAsync(receiver.Url, "message.delivered");

        var id = await http.SendAsync(WebhookApps.Mail(WebhookApps.Unique("hooked")));

        var delivered = (await receiver.WaitForAsync(r => r.Any(w => w.MessageId == id), Patience, "message.delivered")).First(w => w.MessageId == id);
        Assert.Equal("message.delivered", delivered.Type);
        Assert.Equal("capture", (string?)delivered.Data["mx"]);
        Assert.Equal(250, (int)delivered.Data["smtp_code"]!);
        Assert.Matches(@"captured as cap_[0-9a-f]{32}", (string)delivered.Data["smtp_response"]!);
    }

    [Fact]
    public async Task A_domain_s_sending_limit_does_not_hold_captured_mail_back()
    {
        // One message per 100 s to limited.test (CaptureFixture): sent for real, the second and third would wait minutes.
        var http = App.Client();

        var ids = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => http.SendAsync(new { from = "a@acme.test", to = new[] { Unique($"limited{i}", "limited.test") }, subject = "limited", text = "x" })));

        foreach (var id in ids)
        {
            var status = await http.WaitForStatusAsync(id, Patience, "delivered");
            Assert.Empty(status.Events("throttled"));
        }
    }
}

public sealed class EmbeddedCaptureModeTests(DeliveryWorld world, EmbeddedCaptureFixture fixture)
    : CaptureModeTests(world, fixture), IClassFixture<DeliveryWorld>, IClassFixture<EmbeddedCaptureFixture>;

public sealed class RedisCaptureModeTests(DeliveryWorld world, RedisCaptureFixture fixture)
    : CaptureModeTests(world, fixture), IClassFixture<DeliveryWorld>, IClassFixture<RedisCaptureFixture>;
