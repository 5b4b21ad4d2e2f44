using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
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
    public async Task Prometheus_scraping_with_the_admin_key_counts_accepted_mail_attempts_by_outcome_and_domain_and_the_queue()
    {
        var submissionPort = FreePort.Tcp();
        var settings = world.Settings(new()
        {
            ["Smtp:Submission:Port"] = submissionPort.ToString(CultureInfo.InvariantCulture),
            // example.test is named, so it has its own label; nothing else may take one: afallback.test is "other".
            ["Metrics:Domains:0"] = "example.test",
            ["Metrics:MaxDomains"] = "0",
        });
        await using var app = SendApiProcess.Start(settings);
        Assert.Null(await app.WaitUntilReadyOrExitAsync(Timeout));
        await using var prometheus = await PrometheusServer.StartAsync(app.BaseAddress.Authority, "/metrics", SendApiApp.AdminKey);
        using var client = app.Client();

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

        foreach (var id in delivered)
        {
            await client.WaitForStatusAsync(id, Timeout, "delivered");
        }

        await client.WaitForStatusAsync(failed, Timeout, "failed");
        await client.WaitForStatusAsync(deferred, Timeout, "deferred");

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
        await Expect("sum(sendapi_messages_accepted_total{channel=\"http\"})", 6);
        await Expect("sum(sendapi_messages_accepted_total{channel=\"smtp\"})", 2);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"delivered\",domain=\"example.test\"})", 5);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"delivered\",domain=\"other\"})", 1);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"failed\",domain=\"example.test\"})", 1);
        await Expect("sum(sendapi_delivery_attempts_total{outcome=\"deferred\",domain=\"example.test\"})", 1);
        await Expect("count(sendapi_delivery_attempts_total{domain=\"afallback.test\"}) or vector(0)", 0);
        await Expect("sum(sendapi_queue_time_seconds_count{outcome=\"delivered\"})", 6);
        await Expect("sum(sendapi_queue_time_seconds_count{outcome=\"failed\"})", 1);
        await Expect("sum(sendapi_smtp_sessions_total{listener=\"submission\"})", 2);
        // The deferred message waits for its retry: in the queue, not due.
        await Expect("sum(sendapi_queue_depth)", 1);
        await Expect("sum(sendapi_queue_due)", 0);
    }

    private static async Task SubmitAsync(int port, string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "smtp";
        message.Body = new TextPart("plain") { Text = "x" };
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.StartTls);
        await smtp.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);
    }
}
