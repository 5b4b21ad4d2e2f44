using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using SendApi.IntegrationTests.Capture;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Inbound;
using SendApi.Smtp;
using SendApi.Tests.SmtpFuzz;
using Xunit.Abstractions;

namespace SendApi.IntegrationTests.Smtp;

/// <summary>
/// The seeded SMTP fuzz of the unit tests (tests/Shared/SmtpFuzz), here against the started
/// application: its three real listeners with its real handlers behind them (submission into the
/// intake, port 25 into return-path decoding, the inbound domains, the postmaster and the report
/// readers), in capture mode so that what is accepted is kept, not sent. Phases: 587 logged in with
/// an API key, 465 with the admin key, 587 with a key that does not exist, and port 25 with a real
/// message's return paths and reports. Whatever the fuzz sends, every reply line is well formed,
/// a server that hangs up says 221 or 421 first, nothing is refused as a server fault, nothing is
/// logged as an error, nothing is accepted that must not be (no message without a login, no relay
/// on port 25, no suppression of someone the message was not sent to), and afterwards the
/// application is ready and takes mail as before. A failure names the seed and session:
/// SENDAPI_FUZZ_SEED replays it; SENDAPI_FAULT_SCALE multiplies the sessions.
/// </summary>
public sealed partial class ApplicationSmtpFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int DefaultSeed = 20261130;
    private const int Parallel = 4;
    private static readonly int SessionsPerPhase = 96 * SmtpFuzzRun.Scale;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly LogCapture _logs = new();
    private SendApiApp _app = null!;
    private HttpClient _admin = null!;

    /// <param name="Number">Sets the sessions' seeds and their source addresses (127.{10+n}.x.y): each session is its own client.</param>
    private sealed record Phase(int Number, string Name, int Port, bool ImplicitTls, bool OfferAuth, SmtpFuzzVocabulary Vocabulary);

    public Task InitializeAsync()
    {
        _app = new SendApiApp(
            new Dictionary<string, string?>
            {
                ["Delivery:Mode"] = "capture",
                ["Delivery:ReturnPathDomain"] = FuzzedMail.ReturnPathDomain,
                ["Delivery:HeloName"] = "sendapi.test",
                ["Smtp:Hostname"] = FuzzedMail.HostName,
                ["Inbound:Domains:0"] = FuzzedMail.InboundDomain,
            },
            services: services =>
            {
                _logs.AddTo(services);
                QuickAuthFailureReplies(services);
            });
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Fuzzed_sessions_on_all_three_listeners_get_well_formed_replies_accept_nothing_they_must_not_and_leave_the_application_serving()
    {
        var seed = SmtpFuzzRun.Seed(DefaultSeed);
        output.WriteLine($"Application SMTP fuzz, seed {seed} (SENDAPI_FUZZ_SEED replays it)");
        var watch = Stopwatch.StartNew();
        var keyAccount = $"fuzz-{Guid.NewGuid():N}";
        var key = await _app.CreateKeyAsync(keyAccount);
        var keyClient = _app.Client(key);
        await SuppressAsync(_admin, FuzzedMail.Suppressed);
        await SuppressAsync(keyClient, FuzzedMail.Suppressed);
        var sent = await SendAndCaptureAsync();
        var certificate = _app.Services.GetRequiredService<X509Certificate2>().GetCertHashString();

        var problems = new List<string>();
        var accepted = new List<(HttpClient Client, string Id)>();
        foreach (var (phase, client) in new[]
        {
            (new Phase(1, "587, logged in with an API key", _app.SubmissionPort, false, true, FuzzedMail.Submission(key)), keyClient),
            (new Phase(2, "465, logged in with the admin key", _app.SubmissionTlsPort, true, true, FuzzedMail.Submission(SendApiApp.AdminKey)), _admin),
        })
        {
            var replies = await RunAsync(phase, seed, certificate, problems);
            Assert.True(replies.Any(r => r.StartsWith("354 ", StringComparison.Ordinal)), $"seed {seed}: phase {phase.Number} never got to DATA; the fuzz no longer goes deep enough");
            accepted.AddRange(replies.Select(r => QueuedAs().Match(r)).Where(m => m.Success).Select(m => (client, m.Groups["id"].Value)));
        }

        // What a fuzzed submission was told it queued is a message of the key's account.
        foreach (var (client, id) in accepted)
        {
            using var response = await client.GetAsync($"/messages/{id}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"queued as {id}, but GET /messages/{id} answered {(int)response.StatusCode}");
        }

        var messagesBefore = await CountAsync(_admin, "/messages") + await CountAsync(keyClient, "/messages");
        var notLoggedIn = await RunAsync(new Phase(3, "587, with a key that does not exist", _app.SubmissionPort, false, true, FuzzedMail.Submission("sk_fuzz_not_a_key_0123456789")), seed, certificate, problems);
        problems.AddRange(notLoggedIn.Where(r => r.StartsWith("235", StringComparison.Ordinal) || r.StartsWith("354", StringComparison.Ordinal) || QueuedAs().IsMatch(r))
            .Select(r => $"587 without a valid key: {r}"));
        var inbound = await RunAsync(new Phase(4, "25, inbound", _app.InboundPort, false, false, FuzzedMail.Inbound(sent)), seed, certificate, problems);
        problems.AddRange(inbound.Where(r => r.StartsWith("235", StringComparison.Ordinal) || QueuedAs().IsMatch(r)).Select(r => $"port 25: {r}"));
        Assert.True(inbound.Any(r => r.StartsWith("354 ", StringComparison.Ordinal)), $"seed {seed}: port 25 never got to DATA; the fuzz no longer goes deep enough");
        Assert.Equal(messagesBefore, await CountAsync(_admin, "/messages") + await CountAsync(keyClient, "/messages"));

        var lines = 4 * Enumerable.Range(0, SessionsPerPhase).Sum(LinesOf);
        output.WriteLine($"Fuzz: {4 * SessionsPerPhase} sessions, {lines} lines, {accepted.Count} messages queued by fuzzed submissions, in {watch.ElapsedMilliseconds} ms");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(30)));

        await AssertNoRelayAsync(sent);
        await AssertOnlyOwnMailStoredAsync();
        await AssertOnlyRecipientsSuppressedAsync(sent, keyClient);
        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error && e.Category.StartsWith("SendApi", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"seed {seed}: logged as errors:\n{string.Join("\n", errors.Take(10).Select(e => $"{e} {e.Exception}"))}");
        await AssertStillServingAsync();
        output.WriteLine($"Whole test, checks included: {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// Long sessions reach the states behind many commands; short ones end before 20 errors cut
    /// them off (421), so more of them get through a whole transaction into the handlers.
    /// </summary>
    private static int LinesOf(int session) => (session % 3) switch { 0 => 60, 1 => 40, _ => 20 };

    /// <summary>One phase's sessions, <see cref="Parallel"/> at a time; adds what is wrong to <paramref name="problems"/> and returns every reply's last line.</summary>
    private async Task<List<string>> RunAsync(Phase phase, int seed, string certificate, List<string> problems)
    {
        var watch = Stopwatch.StartNew();
        var codes = new SortedDictionary<string, int>();
        var replies = new List<string>();
        for (var round = 0; round < SessionsPerPhase / Parallel; round++)
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(round * Parallel, Parallel).Select(async session =>
            {
                var input = new SmtpFuzzInput(SmtpFuzzRun.SessionSeed(seed, phase.Number, session), phase.OfferAuth, phase.Vocabulary);
                var from = IPAddress.Parse($"127.{10 + phase.Number}.{session / 250}.{(session % 250) + 2}");
                var connection = new SmtpFuzzConnection(phase.Port, phase.ImplicitTls, StartTls: !phase.ImplicitTls && session % 2 == 1, certificate, from);
                return (session, outcome: await SmtpFuzzSession.RunAsync(connection, input, LinesOf(session)));
            }));
            foreach (var (session, outcome) in outcomes)
            {
                var where = $"seed {seed}, phase {phase.Number} ({phase.Name}), session {session}";
                problems.AddRange(outcome.Problems.Select(p => $"{where}: {p}"));
                problems.AddRange(outcome.Replies.Where(r => ServerFault().IsMatch(r)).Select(r => $"{where}: a server fault: {r}"));
                replies.AddRange(outcome.Replies);
                foreach (var (code, count) in outcome.Codes)
                {
                    codes[code] = codes.GetValueOrDefault(code) + count;
                }
            }
        }

        output.WriteLine($"Phase {phase.Number} ({phase.Name}): {SessionsPerPhase} sessions, {replies.Count} replies in {watch.ElapsedMilliseconds} ms: "
            + string.Join(", ", codes.Select(c => $"{c.Key}×{c.Value}")));
        return replies;
    }

    /// <summary>Each address the fuzz used, alone in a transaction and answered one by one: ours are taken, tampered ones are unknown, and nothing else is relayed.</summary>
    private async Task AssertNoRelayAsync(FuzzedMail.Sent sent)
    {
        foreach (var address in FuzzedMail.Foreign(sent))
        {
            var (_, rcpt) = await InboundSmtp.TryRecipientAsync(_app.InboundPort, address, smtpUtf8: !address.All(char.IsAscii));
            Assert.True(!rcpt.StartsWith("250", StringComparison.Ordinal), $"relayed to {address}: {rcpt}");
        }

        foreach (var address in FuzzedMail.Tampered(sent))
        {
            Assert.StartsWith("550 5.1.1", (await InboundSmtp.TryRecipientAsync(_app.InboundPort, address)).Rcpt);
        }

        foreach (var address in sent.ReturnPaths.Concat(["postmaster", $"postmaster@{FuzzedMail.InboundDomain}", $"postmaster@{FuzzedMail.HostName}", $"\"quoted local\"@{FuzzedMail.InboundDomain}"]))
        {
            Assert.StartsWith("250", (await InboundSmtp.TryRecipientAsync(_app.InboundPort, address)).Rcpt);
        }
    }

    /// <summary>Every mail port 25 stored is addressed to one of our domains (in its canonical spelling) or to the postmaster.</summary>
    private async Task AssertOnlyOwnMailStoredAsync()
    {
        string[] ours = [FuzzedMail.InboundDomain, FuzzedMail.ReturnPathDomain, FuzzedMail.HostName];
        var stored = await ListAsync(_admin, "/inbound");
        output.WriteLine($"Port 25 stored {stored.Count} mails");
        foreach (var rcpt in stored.SelectMany(m => m["rcpt_to"]!.AsArray().Select(r => (string)r!)))
        {
            Assert.True(
                rcpt.Equals("postmaster", StringComparison.OrdinalIgnoreCase) || ours.Contains(rcpt[(rcpt.LastIndexOf('@') + 1)..]),
                $"stored mail to {rcpt}, which is not ours");
        }
    }

    /// <summary>A report can suppress only a recipient of the message it is about; forged ones about anyone else suppress nobody.</summary>
    private async Task AssertOnlyRecipientsSuppressedAsync(FuzzedMail.Sent sent, HttpClient keyClient)
    {
        foreach (var client in new[] { _admin, keyClient })
        {
            var suppressed = (await ListAsync(client, "/suppressions")).Select(s => (string)s["address"]!).ToList();
            output.WriteLine($"Suppressed: {string.Join(", ", suppressed)}");
            Assert.All(suppressed, address => Assert.Contains(address, sent.Recipients.Append(FuzzedMail.Suppressed), StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>Ready, takes a submission from a well-behaved client (to capture), and takes mail on port 25.</summary>
    private async Task AssertStillServingAsync()
    {
        Assert.Equal("Healthy", await _app.Client(apiKey: null).GetStringAsync("/health/ready"));

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("orders@acme.test"));
        message.To.Add(MailboxAddress.Parse("after-the-fuzz@example.test"));
        message.Subject = "After the fuzz";
        message.Body = new TextPart("plain") { Text = "Still here." };
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        await smtp.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var reply = await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);
        var id = QueuedAs().Match(reply).Groups["id"].Value;
        Assert.False(string.IsNullOrEmpty(id), reply);
        await _admin.WaitForStatusAsync(id, Patience, "delivered");

        var mail = $"From: carol@example.test\r\nTo: support@{FuzzedMail.InboundDomain}\r\nSubject: after the fuzz\r\n\r\nHello";
        Assert.StartsWith("250", await InboundSmtp.DeliverAsync(_app.InboundPort, "carol@example.test", $"support@{FuzzedMail.InboundDomain}", mail));
    }

    /// <summary>Sends a message to two recipients at example.test and one at other.test over HTTP and reads the return paths and Message-ID its capture shows.</summary>
    private async Task<FuzzedMail.Sent> SendAndCaptureAsync()
    {
        string[] to = ["ann@example.test", "bea@example.test", "cid@other.test"];
        var id = await _admin.SendAsync(new { from = "Acme <orders@acme.test>", to, subject = "Your order", text = "Thanks" });
        await _admin.WaitForStatusAsync(id, Patience, "delivered");
        var captures = await _admin.CapturesOfAsync(id);
        var returnPaths = to.Select(r => (string)captures.Single(c => c["envelope"]!["rcpt_to"].Strings().Contains(r))["envelope"]!["mail_from"]!).Distinct().ToList();
        Assert.Equal(2, returnPaths.Count);
        var raw = await _admin.GetByteArrayAsync($"/captured/{captures[0]["id"]}/raw");
        var messageId = MimeMessage.Load(new MemoryStream(raw)).MessageId ?? throw new InvalidOperationException("The captured message has no Message-ID");
        return new FuzzedMail.Sent(id, to, returnPaths, messageId);
    }

    private static async Task SuppressAsync(HttpClient client, string address)
    {
        using var response = await client.PostAsJsonAsync("/suppressions", new { address });
        Assert.True(response.IsSuccessStatusCode, $"POST /suppressions answered {(int)response.StatusCode}");
    }

    private static async Task<int> CountAsync(HttpClient client, string path) => (await ListAsync(client, path)).Count;

    /// <summary>Every item of a paged listing (limit=500, following next_cursor).</summary>
    private static async Task<List<JsonNode>> ListAsync(HttpClient client, string path)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = JsonNode.Parse(await client.GetStringAsync($"{path}?limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}"))!;
            items.AddRange(page["data"]!.AsArray().Select(i => i!));
            cursor = (string?)page["next_cursor"];
        }
        while (cursor is not null);
        return items;
    }

    /// <summary>
    /// The shipped thresholds stay (failed logins from one address are slowed after 3 and cut off
    /// with 421 after 10); only the slowing drops from 3 s to 1 ms, or the fuzz's failed logins would
    /// spend the run waiting.
    /// </summary>
    private static void QuickAuthFailureReplies(IServiceCollection services)
    {
        var shipped = services.Last(d => d.ServiceType == typeof(SmtpServerSettings));
        services.AddSingleton(sp =>
        {
            var settings = (SmtpServerSettings)shipped.ImplementationFactory!(sp);
            typeof(SmtpServerSettings).GetProperty(nameof(SmtpServerSettings.AuthFailureDelay))!.SetValue(settings, TimeSpan.FromMilliseconds(1));
            return settings;
        });
    }

    [GeneratedRegex(@"queued as (?<id>[0-9a-f]{32})", RegexOptions.NonBacktracking)]
    private static partial Regex QueuedAs();

    /// <summary>Replies that blame the server rather than the client: none may come of anything a client sends (the store is up).</summary>
    [GeneratedRegex(@"internal|local error|exception|Temporary failure (storing|looking up|identifying)|not yet confirmed durable", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex ServerFault();
}
