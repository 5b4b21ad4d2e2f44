using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Delivery;

/// <summary>
/// POST /messages → queue → MX lookup in real DNS → real SMTP servers, in embedded mode, with a
/// controllable clock so that retries happen when the test moves time, not after sleeping.
/// </summary>
public sealed class DeliveryEndToEndTests : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly DeliveryWorld _world;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SendApiApp _app;
    private readonly HttpClient _client;

    public DeliveryEndToEndTests(DeliveryWorld world)
    {
        _world = world;
        _app = new SendApiApp(world.Settings(new() { ["Delivery:RetrySchedule"] = "1m,5m", ["Delivery:MaxAge"] = "48h" }), _time);
        _client = _app.Client();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    /// <summary>
    /// text and html are read as UTF-8 and put into their parts without a string in between: a
    /// large body, escaped by the client (non-ASCII as \u escapes), split over the request's
    /// buffers, with a line over SMTP's 998 octets, must still arrive exactly as it was sent.
    /// </summary>
    [Fact]
    public async Task A_large_body_with_escapes_non_ascii_and_a_long_line_arrives_as_it_was_sent()
    {
        var to = Unique("large");
        var paragraph = "Grüße aus Köln — naïve café, 你好, \U0001F600 \"quoted\" <tag> & back\\slash\tend\n";
        var text = string.Concat(Enumerable.Repeat(paragraph, 2000)) + new string('x', 3000) + "\nlast line";
        var html = "<p>" + string.Concat(Enumerable.Repeat("<b>Grüße</b> — 你好 \U0001F600 ", 4000)) + "</p>";

        await _client.SendAsync(new { from = "orders@acme.test", to = new[] { to }, subject = "large", text, html });

        var received = (await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.All(System.Text.Encoding.ASCII.GetString(received.Raw).Split("\r\n"), line => Assert.True(line.Length <= 998, $"a line of {line.Length} octets"));
        var mime = received.Parse();
        Assert.Equal(text, mime.TextBody!.ReplaceLineEndings("\n"));
        Assert.Equal(html, mime.HtmlBody!.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Posted_message_arrives_at_the_mx_with_subject_body_and_attachment_intact()
    {
        var to = Unique("bob");
        var bcc = Unique("audit");
        var pdf = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var id = await _client.SendAsync(new
        {
            from = "Acme Store <orders@acme.test>",
            to = new[] { $"Bob Example <{to}>" },
            bcc = new[] { bcc },
            reply_to = "support@acme.test",
            subject = "Your order #1234 — ünïcödé",
            text = "Thank you for your order.\n.\nA line with a lone dot above.",
            html = "<p>Thank you for your <b>order</b>.</p>",
            headers = new Dictionary<string, string> { ["X-Order"] = "1234" },
            attachments = new[] { new { filename = "invoice.pdf", content = Convert.ToBase64String(pdf), content_type = "application/pdf" } },
            tags = new[] { "orders" },
            metadata = new Dictionary<string, string> { ["order_id"] = "1234" },
        });

        var received = (await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.Equal("orders@acme.test", received.MailFrom);
        Assert.Equal("sendapi.test", received.Helo);
        Assert.Equal([to, bcc], received.RcptTos);

        var mime = received.Parse();
        Assert.Equal("Your order #1234 — ünïcödé", mime.Subject);
        Assert.Equal($"{id}@sendapi.test", mime.MessageId);
        Assert.Equal("1234", mime.Headers["X-Order"]);
        Assert.Equal("Thank you for your order.\n.\nA line with a lone dot above.", mime.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Contains("<b>order</b>", mime.HtmlBody);
        Assert.DoesNotContain(mime.Headers, h => h.Id == HeaderId.Bcc);
        var attachment = Assert.Single(mime.Attachments.OfType<MimePart>());
        Assert.Equal("invoice.pdf", attachment.FileName);
        using var bytes = new MemoryStream();
        await attachment.Content!.DecodeToAsync(bytes);
        Assert.Equal(pdf, bytes.ToArray());

        var status = await _client.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal("delivered", (string?)status.Recipient(bcc)["status"]);
        Assert.Equal("bcc", (string?)status.Recipient(bcc)["type"]);
        Assert.Equal(250, (int?)status.Recipient(to)["last_response"]!["code"]);
        Assert.Equal(1, (int?)status.Recipient(to)["attempts"]);
        Assert.Equal("1234", (string?)status["metadata"]!["order_id"]);
        Assert.Single(status.Events("queued"));
        Assert.Equal(2, status.Events("delivered").Count);
        Assert.Contains("mx1.example.test[127.0.0.2]", (string?)status.Events("delivered")[0]["mx"]);
    }

    [Fact]
    public async Task Temporary_failure_is_deferred_then_delivered_when_the_retry_falls_due()
    {
        var to = Unique("defer-once");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "retry me", text = "x" });

        var deferred = await _client.WaitForStatusAsync(id, Patience, "deferred");
        var recipient = deferred.Recipient(to);
        Assert.Equal(451, (int?)recipient["last_response"]!["code"]);
        Assert.Equal("4.3.0", (string?)recipient["last_response"]!["enhanced_code"]);
        Assert.Equal(_time.GetUtcNow().AddMinutes(1), (DateTimeOffset?)recipient["next_attempt_at"]);
        Assert.DoesNotContain(_world.Mx1.Messages, m => m.RcptTos.Contains(to));

        // Nothing happens before the backoff has passed...
        _time.Advance(TimeSpan.FromSeconds(50));
        await Task.Delay(300);
        Assert.Equal("deferred", (string?)(await _client.GetMessageAsync(id))["status"]);

        // ...and the retry goes out once it has.
        _time.Advance(TimeSpan.FromSeconds(10));
        var delivered = await _client.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal(2, (int?)delivered.Recipient(to)["attempts"]);
        Assert.Equal(["queued", "deferred", "delivered"], delivered["events"]!.AsArray().Select(e => (string)e!["type"]!));
        Assert.Single(_world.Mx1.Messages, m => m.RcptTos.Contains(to));
    }

    [Fact]
    public async Task Temporary_failures_past_the_maximum_age_fail_the_recipient()
    {
        var to = Unique("defer-always");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "never", text = "x" });
        await _client.WaitForStatusAsync(id, Patience, "deferred");

        _time.Advance(TimeSpan.FromHours(49));
        var failed = await _client.WaitForStatusAsync(id, Patience, "failed");
        Assert.Equal(2, (int?)failed.Recipient(to)["attempts"]);
        Assert.Contains("Gave up after 2 attempt(s)", (string?)failed.Events("failed").Single()["detail"]);
    }

    [Fact]
    public async Task Permanent_rejection_fails_that_recipient_with_the_reply_in_the_timeline()
    {
        var good = Unique("carol");
        var bad = Unique("nobody", "rejecting.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { good, bad }, subject = "mixed", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "partially_delivered");
        Assert.Equal("delivered", (string?)message.Recipient(good)["status"]);
        Assert.Equal("failed", (string?)message.Recipient(bad)["status"]);
        var failed = message.Events("failed").Single();
        Assert.Equal(bad, (string?)failed["recipient"]);
        Assert.Equal(550, (int?)failed["smtp_code"]);
        Assert.Contains("5.1.1 No such user", (string?)failed["detail"]);
        Assert.Equal(0, _world.Rejecting.CountMessages());
    }

    [Fact]
    public async Task Domain_without_mx_is_delivered_to_its_own_address()
    {
        var to = Unique("dave", "afallback.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "fallback", text = "x" });

        await _world.Fallback.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to));
        var message = await _client.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Contains("afallback.test[127.0.0.3]", (string?)message.Events("delivered").Single()["mx"]);
    }

    [Fact]
    public async Task Null_mx_fails_at_once_without_looking_for_an_address_to_connect_to()
    {
        var to = Unique("erin", "nullmx.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "null mx", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "failed");
        var recipient = message.Recipient(to);
        Assert.Equal(556, (int?)recipient["last_response"]!["code"]);
        Assert.Equal("5.1.10", (string?)recipient["last_response"]!["enhanced_code"]);
        Assert.Null(message.Events("failed").Single()["mx"]);
        // No address was ever asked for, so no connection could have been made.
        Assert.DoesNotContain(_world.Dns.Output.Split('\n'), l => l.Contains("query[A] nullmx.test") || l.Contains("query[AAAA] nullmx.test"));
    }

    [Fact]
    public async Task Unreachable_mx_is_skipped_for_the_next_preference()
    {
        var to = Unique("frank", "backup.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "backup", text = "x" });

        await _world.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to));
        var message = await _client.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Contains("mx1.example.test", (string?)message.Events("delivered").Single()["mx"]);
    }

    [Fact]
    public async Task Nonexistent_domain_fails_permanently()
    {
        var to = Unique("gina", "no-such-domain.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { to }, subject = "nx", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "failed");
        Assert.Equal("5.1.2", (string?)message.Recipient(to)["last_response"]!["enhanced_code"]);
    }

    [Fact]
    public async Task Temporary_refusal_of_MAIL_FROM_defers_every_recipient_even_with_pipelining()
    {
        // The MX offers PIPELINING, so the RCPTs sent behind the refused MAIL get "503 need MAIL"
        // replies too; they must not turn the temporary refusal into a permanent failure.
        var to = new[] { Unique("h1"), Unique("h2") };
        var id = await _client.SendAsync(new { from = "greylist@acme.test", to, subject = "greylisted", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "deferred");
        foreach (var address in to)
        {
            var recipient = message.Recipient(address);
            Assert.Equal("deferred", (string?)recipient["status"]);
            Assert.Equal(451, (int?)recipient["last_response"]!["code"]);
            Assert.Equal("4.7.1", (string?)recipient["last_response"]!["enhanced_code"]);
        }
    }

    [Fact]
    public async Task A_server_demanding_authentication_defers_only_its_recipients_and_counts_the_attempt()
    {
        var good = Unique("ivan");
        var locked = Unique("judy", "needtls.test");
        var id = await _client.SendAsync(new { from = "a@acme.test", to = new[] { good, locked }, subject = "auth", text = "x" });

        var message = await _client.WaitForStatusAsync(id, Patience, "deferred");
        Assert.Equal("delivered", (string?)message.Recipient(good)["status"]);
        Assert.Equal(1, (int?)message.Recipient(locked)["attempts"]);
        Assert.Equal("4.7.0", (string?)message.Recipient(locked)["last_response"]!["enhanced_code"]);

        // The retry goes to the locked domain only: the delivered recipient gets exactly one copy.
        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForAttemptsAsync(id, locked, 2);
        Assert.Single(_world.Mx1.Messages, m => m.RcptTos.Contains(good));
    }

    private async Task WaitForAttemptsAsync(string id, string recipient, int attempts)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((int?)(await _client.GetMessageAsync(id)).Recipient(recipient)["attempts"] < attempts)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{recipient} was not attempted {attempts} times");
            await Task.Delay(50);
        }
    }
}
