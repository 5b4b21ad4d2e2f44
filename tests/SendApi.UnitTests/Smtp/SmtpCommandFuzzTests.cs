using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SendApi.Api.Features.Submission;
using SendApi.Smtp;
using SendApi.Tests.SmtpFuzz;
using SendApi.UnitTests.Smtp.Infrastructure;
using Xunit.Abstractions;

namespace SendApi.UnitTests.Smtp;

/// <summary>
/// A seeded fuzz pass over command lines on the application's three listener profiles. Whatever a
/// client sends, every reply line is well formed (three digits, at most 512 octets, no control
/// characters), no session ends in an unexpected exception, and the server goes on answering others.
/// A failure names the seed and the session: set SENDAPI_FUZZ_SEED to that seed to replay it.
/// SENDAPI_FAULT_SCALE multiplies the sessions. The same input, against the application's real
/// handlers on its real listeners, is IntegrationTests' Smtp/ApplicationSmtpFuzzTests.
/// </summary>
public sealed class SmtpCommandFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20250517;
    // 56 sessions of 60 lines on each of the three profiles: over 10,000 lines and DATA blocks a
    // run (issue 13); SENDAPI_FAULT_SCALE multiplies them for a longer run.
    private static readonly int Sessions = 56 * SmtpFuzzRun.Scale;
    private const int Parallel = 4;
    private const int LinesPerSession = 60;

    [Theory]
    [InlineData("587")]
    [InlineData("465")]
    [InlineData("25")]
    public async Task Fuzzed_command_lines_get_well_formed_replies_and_the_server_keeps_answering(string port)
    {
        var seed = SmtpFuzzRun.Seed(DefaultSeed);
        var options = new SmtpOptions();
        var profile = port switch
        {
            "587" => SubmissionListeners.StarttlsProfile(options),
            "465" => SubmissionListeners.ImplicitTlsProfile(options),
            _ => SubmissionListeners.InboundProfile(),
        };
        await using var server = await SmtpTestServer.StartAsync(profile, Settings());
        await using var bystander = await GreetedAsync(server, profile.ImplicitTls);
        output.WriteLine($"SMTP fuzz on {port} ({profile.Name}), seed {seed} (SENDAPI_FUZZ_SEED replays it)");

        var watch = Stopwatch.StartNew();
        var problems = new List<string>();
        var codes = new SortedDictionary<string, int>();
        for (var round = 0; round < Sessions / Parallel; round++)
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(round * Parallel, Parallel).Select(async session =>
            {
                // Each session has its own generator, so it replays alone whatever ran beside it.
                var input = new SmtpFuzzInput(
                    SmtpFuzzRun.SessionSeed(seed, int.Parse(port, CultureInfo.InvariantCulture), session), profile.OfferAuth, SmtpFuzzVocabulary.Plain(RecordingMessageHandler.Password));
                var startTls = !profile.ImplicitTls && session % 2 == 1;
                var connection = new SmtpFuzzConnection(server.Port, profile.ImplicitTls, startTls, TestCertificate.Server.GetCertHashString());
                var outcome = await SmtpFuzzSession.RunAsync(connection, input, LinesPerSession);
                return (session, outcome);
            }));
            foreach (var (session, outcome) in outcomes)
            {
                problems.AddRange(outcome.Problems.Select(p => $"seed {seed}, port {port}, session {session}: {p}"));
                foreach (var (code, count) in outcome.Codes)
                {
                    codes[code] = codes.GetValueOrDefault(code) + count;
                }
            }

            // Another client, connected all along, is still answered while the fuzzing goes on.
            Assert.Equal("250 2.0.0 Ok", await bystander.CommandAsync("NOOP"));
        }

        output.WriteLine($"{Sessions} sessions, {Sessions * LinesPerSession} fuzzed lines, {codes.Values.Sum()} replies checked in {watch.ElapsedMilliseconds} ms");
        output.WriteLine("Replies by code: " + string.Join(", ", codes.Select(c => $"{c.Key}×{c.Value}")));
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error); // 3042 (unexpected exception) among them

        // And a newcomer is greeted as usual.
        await using var newcomer = await GreetedAsync(server, profile.ImplicitTls);
        Assert.Equal("221 2.0.0 Bye", await newcomer.CommandAsync("QUIT"));
    }

    private static SmtpServerSettings Settings() => new()
    {
        Hostname = SmtpTestServer.Host,
        MaxMessageSize = 64 * 1024,
        MaxRecipients = 5,
        Certificate = TestCertificate.Server,
        MaxConnectionsPerIp = 100,
        // Failed logins are part of the fuzz: slowed down (a little), but never locked out, so a
        // later session can still log in and reach MAIL, RCPT and DATA.
        AuthFailuresBeforeDelay = 3,
        AuthFailureDelay = TimeSpan.FromMilliseconds(1),
        AuthFailuresBeforeDisconnect = int.MaxValue,
    };

    private static async Task<SmtpTestClient> GreetedAsync(SmtpTestServer server, bool implicitTls)
    {
        var client = await server.ConnectAsync(implicitTls);
        Assert.Equal("220 mx.sendapi.test ESMTP SendApi", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO bystander.test"));
        return client;
    }
}
