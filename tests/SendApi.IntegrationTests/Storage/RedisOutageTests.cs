using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// A real redis-server stopped (or frozen) under a running instance and brought back: every channel
/// answers "try again later" (HTTP 503 + Retry-After, SMTP 451 4.3.0) within Storage:Timeout, the
/// log says so once, and the same clients and sessions work again once Redis is back.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class RedisOutageTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private const int OutageStarted = 6000;
    private const int OutageEnded = 6001;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan BackWithin = TimeSpan.FromSeconds(20);

    // Mail attempted during the outage waits for the store to be signed (it is not sent unsigned),
    // and is then taken by a new delivery job: Hangfire's workers, which failed to fetch while the
    // store was down, resume after their own retry delay. Once (a CI run) that took over 20 s.
    private static readonly TimeSpan DeliveredWithin = TimeSpan.FromSeconds(60);

    private readonly LogCapture _logs = new();
    private RedisServer _redis = null!;
    private SendApiApp _app = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _app = new SendApiApp(
            world.Settings(new()
            {
                ["ConnectionStrings:Redis"] = _redis.ConnectionString,
                ["Storage:Timeout"] = "2s",
                // 587 trusts loopback (no AUTH, like an application server); 465 requires AUTH.
                ["Smtp:Submission:TrustedNetworks"] = "127.0.0.0/8",
                ["Smtp:Submission:TrustedApiKey"] = SendApiApp.AdminKey,
            }),
            services: _logs.AddTo);
        await _app.Client().SendAsync(Message("warm-up"));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task While_redis_is_down_the_api_answers_503_with_retry_after_at_once_and_live_health_stays_up()
    {
        var client = _app.Client();
        var before = await client.SendAsync(Message("before"));

        await _redis.StopAsync();

        var clock = Stopwatch.StartNew();
        using (var post = await client.PostAsync("/messages", Json(Message("during"))))
        {
            await AssertUnavailableAsync(post);
        }

        using (var get = await client.GetAsync($"/messages/{before}"))
        {
            await AssertUnavailableAsync(get);
        }

        Assert.True(clock.Elapsed < Timeout, $"Two requests took {clock.Elapsed.TotalMilliseconds:0} ms while Redis was down.");

        // A prober that sends its usual Bearer header still learns only that the process is up.
        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var ready = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        await _redis.StartAgainAsync();
        var after = await UntilAsync(async () =>
        {
            using var response = await client.PostAsync("/messages", Json(Message("after")));
            return response.StatusCode == HttpStatusCode.Accepted;
        });
        Assert.True(after, "POST /messages did not answer 202 after Redis came back.");
        await client.WaitForStatusAsync(before, DeliveredWithin, "delivered");
        await AssertOutageLoggedOnceAsync();
    }

    [Fact]
    public async Task A_hung_redis_costs_a_request_no_more_than_the_storage_timeout()
    {
        var client = _app.Client();
        _redis.Freeze();
        try
        {
            var clock = Stopwatch.StartNew();
            using var post = await client.PostAsync("/messages", Json(Message("hung")));
            var elapsed = clock.Elapsed;
            await AssertUnavailableAsync(post);
            // Storage:Timeout, plus the client library's one-second timeout check.
            Assert.True(elapsed < Timeout + TimeSpan.FromSeconds(1.5), $"POST took {elapsed.TotalMilliseconds:0} ms against a hung Redis.");
        }
        finally
        {
            _redis.Resume();
        }

        Assert.True(await UntilAsync(async () =>
        {
            using var response = await client.PostAsync("/messages", Json(Message("resumed")));
            return response.StatusCode == HttpStatusCode.Accepted;
        }), "POST /messages did not answer 202 after Redis resumed.");
    }

    [Fact]
    public async Task A_trusted_network_session_gets_451_not_530_while_redis_is_down_and_submits_on_the_same_session_once_it_is_back()
    {
        // One session opened before the outage, one during it.
        using var early = new TcpClient();
        await early.ConnectAsync(IPAddress.Loopback, _app.SubmissionPort);
        var before = new RawSmtp(early.GetStream());
        await before.ReadReplyAsync();
        await before.CommandAsync("EHLO app.acme.test", "250");

        await _redis.StopAsync();

        using var late = new TcpClient();
        await late.ConnectAsync(IPAddress.Loopback, _app.SubmissionPort);
        var during = new RawSmtp(late.GetStream());
        Assert.StartsWith("220", await during.ReadReplyAsync());
        await during.CommandAsync("EHLO app.acme.test", "250");
        await during.CommandAsync("MAIL FROM:<app@acme.test>", "451 4.3.0");
        await AssertDataRefusedTemporarilyAsync(before);

        await _redis.StartAgainAsync();
        foreach (var session in new[] { during, before })
        {
            Assert.True(await UntilAsync(async () =>
            {
                await session.WriteAsync("MAIL FROM:<app@acme.test>\r\n");
                return (await session.ReadReplyAsync()).StartsWith("250", StringComparison.Ordinal);
            }), "MAIL was not accepted after Redis came back.");
            await SubmitAsync(session);
        }

        await AssertOutageLoggedOnceAsync();
    }

    [Fact]
    public async Task An_authenticated_session_gets_451_while_redis_is_down_and_submits_on_the_same_session_once_it_is_back()
    {
        await using var tls = await ImplicitTlsAsync();
        var session = new RawSmtp(tls);
        await session.ReadReplyAsync();
        await session.CommandAsync("EHLO app.acme.test", "250");
        await session.CommandAsync($"AUTH PLAIN {Plain(SendApiApp.AdminKey)}", "235");

        await _redis.StopAsync();
        await session.CommandAsync("MAIL FROM:<app@acme.test>", "250");
        await AssertDataRefusedTemporarilyAsync(session, mailSent: true);

        // A new client can't be checked now: a temporary AUTH failure, not "invalid credentials".
        await using (var other = await ImplicitTlsAsync())
        {
            var refused = new RawSmtp(other);
            await refused.ReadReplyAsync();
            await refused.CommandAsync("EHLO app.acme.test", "250");
            await refused.CommandAsync($"AUTH PLAIN {Plain(SendApiApp.AdminKey)}", "454 4.7.0");
        }

        await _redis.StartAgainAsync();
        await session.CommandAsync("MAIL FROM:<app@acme.test>", "250");
        Assert.True(await UntilAsync(async () =>
        {
            await session.CommandAsync("RCPT TO:<after@example.test>", "250");
            await session.CommandAsync("DATA", "354");
            await session.WriteAsync("Subject: after\r\n\r\nback\r\n.\r\n");
            var reply = await session.ReadReplyAsync();
            if (!reply.StartsWith("250", StringComparison.Ordinal))
            {
                await session.CommandAsync("MAIL FROM:<app@acme.test>", "250");
                return false;
            }

            return true;
        }), "DATA was not accepted after Redis came back.");
        await AssertOutageLoggedOnceAsync();
    }

    private async Task AssertDataRefusedTemporarilyAsync(RawSmtp session, bool mailSent = false)
    {
        if (!mailSent)
        {
            await session.CommandAsync("MAIL FROM:<app@acme.test>", "250");
        }

        await session.CommandAsync("RCPT TO:<during@example.test>", "250");
        await session.CommandAsync("DATA", "354");
        var clock = Stopwatch.StartNew();
        await session.WriteAsync("Subject: during\r\n\r\nnot stored\r\n.\r\n");
        var reply = await session.ReadReplyAsync();
        Assert.StartsWith("451 4.3.0", reply);
        Assert.True(clock.Elapsed < Timeout, $"DATA was answered after {clock.Elapsed.TotalMilliseconds:0} ms.");
    }

    private async Task SubmitAsync(RawSmtp session)
    {
        var to = $"back-{Guid.NewGuid():N}@example.test";
        await session.CommandAsync($"RCPT TO:<{to}>", "250");
        await session.CommandAsync("DATA", "354");
        await session.WriteAsync("Subject: back\r\n\r\nstored\r\n.\r\n");
        var reply = await session.ReadReplyAsync();
        Assert.StartsWith("250", reply);
        var id = Regex.Match(reply, "queued as ([0-9a-f]{32})").Groups[1].Value;
        await _app.Client().WaitForStatusAsync(id, DeliveredWithin, "delivered");
    }

    /// <summary>One warning when the outage started, one when it ended, and no error from our code or ASP.NET Core.</summary>
    private async Task AssertOutageLoggedOnceAsync()
    {
        Assert.True(await UntilAsync(() => Task.FromResult(_logs.WithId(OutageEnded).Any())), "The end of the outage was not logged.");
        Assert.Single(_logs.WithId(OutageStarted));
        Assert.Single(_logs.WithId(OutageEnded));
        var errors = _logs.Entries
            // The health-check service writes one line per failed readiness probe (no stack trace); that is the probe's answer.
            .Where(e => e.Level >= LogLevel.Error
                && (e.Category.StartsWith("SendApi", StringComparison.Ordinal) || (e.Category.StartsWith("Microsoft", StringComparison.Ordinal) && e.Exception is not null)))
            .ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // Nor a warning per claim, lease renewal, record try or throttle call that met the outage,
        // and no mail sent unsigned because its key could not be read.
        var perCall = _logs.Entries.Where(e => e.EventId is 2004 or 2005 or 2007 or 2021 or 2023).ToList();
        Assert.True(perCall.Count == 0, string.Join("\n", perCall));
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {response.Headers.RetryAfter}");
        Assert.Contains("\"status\":503", body, StringComparison.Ordinal);
    }

    private static async Task<bool> UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < BackWithin)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    private async Task<SslStream> ImplicitTlsAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _app.SubmissionTlsPort);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        return tls;
    }

    private static string Plain(string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0apikey\0{password}"));

    private static object Message(string subject) => new
    {
        from = "app@acme.test",
        to = new[] { $"{subject}-{Guid.NewGuid():N}@example.test" },
        subject,
        text = "x",
    };

    private static StringContent Json(object message) =>
        new(System.Text.Json.JsonSerializer.Serialize(message), Encoding.UTF8, "application/json");
}
