using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Inbound;
using SendApi.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Watching;

/// <summary>
/// A real Prometheus scrapes SendApi's /metrics with the admin key, as an operator's would, while
/// mail goes through the application to real MX hosts; PromQL over Prometheus's HTTP API then
/// counts what happened.
/// </summary>
public sealed class PrometheusScrapeTests(DeliveryWorld world, ITestOutputHelper output) : IClassFixture<DeliveryWorld>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prometheus_scraping_with_the_admin_key_sees_mail_attempts_queue_smtp_inbound_webhooks_and_redis()
    {
        var submissionPort = FreePort.Tcp();
        var inboundPort = FreePort.Tcp();
        // On Redis, so that the Redis round trip is measured too (the embedded store has none).
        await using var storage = await StorageUnderTest.StartAsync(redis: true);
        var settings = world.Settings(storage.Settings());
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            ["Smtp:Submission:Port"] = submissionPort.ToString(CultureInfo.InvariantCulture),
            ["Smtp:Inbound:Port"] = inboundPort.ToString(CultureInfo.InvariantCulture),
            // example.test is named, so it has its own label; nothing else may take one: afallback.test is "other".
            ["Metrics:Domains:0"] = "example.test",
            ["Metrics:MaxDomains"] = "0",
            // The deferred message's retry must not fall due during the test.
            ["Delivery:RetrySchedule"] = "1h",
            ["Delivery:ReturnPathDomain"] = "bounces.sendapi.test",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:PollInterval"] = "50ms",
            ["Webhooks:SchedulePollingInterval"] = "200ms",
        })
        {
            settings[key] = value;
        }

        await using var app = SendApiProcess.Start(settings);
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Timeout));
        await using var prometheus = await PrometheusServer.StartAsync(app.BaseAddress.Authority, "/metrics", SendApiApp.AdminKey);
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = app.Client();
        // Only the one failed message's event: one webhook request in all.
        await client.CreateWebhookAsync(receiver.Url, "message.failed");

        var delivered = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            delivered.Add(await client.SendAsync(new { from = "a@acme.test", to = new[] { $"r{i}@example.test" }, subject = "http", text = "x" }));
        }

        delivered.Add(await client.SendAsync(new { from = "a@acme.test", to = new[] { "someone@afallback.test" }, subject = "other domain", text = "x" }));
        var failed = await client.SendAsync(new { from = "a@acme.test", to = new[] { "reject-me@example.test" }, subject = "5xx", text = "x" });
        var deferred = await client.SendAsync(new { from = "a@acme.test", to = new[] { "defer-always@example.test" }, subject = "4xx", text = "x" });
        await SubmitAsync(submissionPort, "s1@example.test");
        await SubmitAsync(submissionPort, "s2@example.test");
        await Assert.ThrowsAsync<AuthenticationException>(() => SubmitAsync(submissionPort, "s3@example.test", key: "not-a-key"));

        // A message that comes back: its recipient's server bounces it (a DSN from <>), and its recipient answers it.
        var sent = await InboundSmtp.SendAndDeliverAsync(client, world, "bounced", "a@acme.test", "comes back", "x");
        var dsn = InboundSmtp.Fixture("postfix-user-unknown.eml", sent.ReturnPath, sent.MessageIdHeader, "carol@example.org", sent.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(inboundPort, "", sent.ReturnPath, dsn));
        var reply = InboundSmtp.Fixture("human-reply.eml", sent.ReturnPath, sent.MessageIdHeader, "noah@example.com", sent.Recipient);
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(inboundPort, sent.Recipient, sent.ReturnPath, reply));

        foreach (var id in delivered)
        {
            await client.WaitForStatusAsync(id, Timeout, "delivered");
        }

        await client.WaitForStatusAsync(failed, Timeout, "failed");
        await client.WaitForStatusAsync(deferred, Timeout, "deferred");
        await receiver.WaitForAsync(r => r.Any(w => w.Type == "message.failed"), Timeout, "message.failed");

        async Task Expect(string promql, double expected)
        {
            var value = await prometheus.WaitForAsync(promql, expected, Timeout);
            output.WriteLine($"{promql} = {value?.ToString(CultureInfo.InvariantCulture) ?? "(no sample)"}");
            if (value != expected)
            {
                var (health, error) = await prometheus.TargetAsync();
                Assert.Fail($"{promql} is {value?.ToString(CultureInfo.InvariantCulture) ?? "empty"}, expected {expected}; target {health} {error}\n{prometheus.Output}");
            }
        }

        await Expect("up{job=\"sendapi\"}", 1);
        await Expect("sum(sendapi_messages_accepted_total{channel=\"http\",otel_scope_name=\"SendApi\"})", 7);
        await Expect("sum(sendapi_messages_accepted_total{channel=\"smtp\"})", 2);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"delivered\",domain=\"example.test\"})", 6);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"delivered\",domain=\"other\"})", 1);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"failed\",domain=\"example.test\"})", 1);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"deferred\",domain=\"example.test\"})", 1);
        await Expect("count(sendapi_delivery_attempts_total{domain=\"afallback.test\"}) or vector(0)", 0);
        // One SMTP transaction per message (one recipient each), timed, by the outcome of its reply.
        await Expect("sum(sendapi_delivery_attempt_duration_seconds_count{outcome=\"delivered\"})", 7);
        await Expect("sum(sendapi_delivery_attempt_duration_seconds_count{outcome=\"failed\"})", 1);
        await Expect("sum(sendapi_delivery_attempt_duration_seconds_count{outcome=\"deferred\"})", 1);
        await Expect("sum(sendapi_delivery_attempt_duration_seconds_bucket{outcome=\"delivered\",le=\"+Inf\"})", 7);
        await Expect("sum(sendapi_queue_time_seconds_count{outcome=\"delivered\"})", 7);
        await Expect("sum(sendapi_queue_time_seconds_count{outcome=\"failed\"})", 1);
        await Expect("sum(sendapi_smtp_sessions_total{listener=\"submission\"})", 3);
        await Expect("sum(sendapi_smtp_sessions_total{listener=\"inbound\"})", 2);
        await Expect("sum(sendapi_smtp_auth_failures_total{listener=\"submission\"})", 1);
        await Expect("count(sendapi_smtp_auth_failures_total{listener!=\"submission\"}) or vector(0)", 0);
        await Expect("sum(sendapi_inbound_messages_total{kind=\"dsn\"})", 1);
        await Expect("sum(sendapi_inbound_messages_total{kind=\"reply\"})", 1);
        await Expect("sum(sendapi_inbound_messages_total)", 2);
        await Expect("sum(sendapi_webhooks_attempts_total{result=\"success\"})", 1);
        await Expect("sum(sendapi_webhooks_attempts_total)", 1);
        await Expect("sum(sendapi_webhooks_lag_seconds_count)", 1);
        // The queue gauges' Redis call is timed (at most once per 5 s, however often Prometheus scrapes).
        await Expect("sum(sendapi_redis_round_trip_time_seconds_count) > bool 0", 1);
        await Expect("sum(sendapi_redis_round_trip_time_seconds_sum) < bool 5", 1);
        // The deferred message waits for its retry: in the queue, not due, so nothing has waited for a worker.
        await Expect("sum(sendapi_queue_depth)", 1);
        await Expect("sum(sendapi_queue_due)", 0);
        await Expect("sum(sendapi_queue_oldest_due_age_seconds)", 0);
    }

    private static async Task SubmitAsync(int port, string to, string key = SendApiApp.AdminKey)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "smtp";
        message.Body = new TextPart("plain") { Text = "x" };
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.StartTls);
        // One mechanism, so a wrong key is one refused AUTH (MailKit would otherwise try the next one too).
        await smtp.AuthenticateAsync(new SaslMechanismPlain("apikey", key));
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);
    }
}
