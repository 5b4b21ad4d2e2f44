using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// The captured mail page in a real browser (Debian's chromium, driven by tests/browser/captured-page.mjs):
/// mail sent over HTTP and over SMTP submission is listed with its subject, a message opens, and
/// a hostile script in its HTML runs nowhere.
/// </summary>
public sealed partial class CapturedPageBrowserTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // Built at run time, so that the marker is in the page only if the script ran (the raw source shows the script's text).
    private const string HostileHtml = """
        <p id="greeting">Rendered safely, <b>bold</b></p>
        <script>var m = 'SCRIPT' + ' RAN'; document.getElementById('greeting').textContent = m;
        try { top.document.title = m; } catch (e) {}
        fetch('/captured/pw' + 'ned-fetch'); new Image().src = '/captured/pw' + 'ned-img'; alert(m);</script>
        <img src="x" onerror="document.body.append('SCRIPT' + ' RAN'); location = '/captured/pw' + 'ned-nav'">
        """;

    private readonly SendApiApp _app = new(new Dictionary<string, string?> { ["Delivery:Mode"] = "capture", ["Delivery:HeloName"] = "sendapi.test" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [GeneratedRegex(@"queued as (?<id>[0-9a-f]{32})")]
    private static partial Regex QueuedAs();

    [Fact]
    public async Task Mail_sent_over_HTTP_and_SMTP_is_listed_and_a_message_opens_without_running_its_script()
    {
        var http = _app.Client();
        var httpSubject = $"Order <#1234> & co, over HTTP {Guid.NewGuid():N}"[..48];
        var smtpSubject = $"Grüße über SMTP {Guid.NewGuid():N}"[..40];
        var httpId = await http.SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { "bob@example.test" }, subject = httpSubject, text = "Thanks", html = HostileHtml });
        var smtpId = await SubmitAsync(smtpSubject);
        await http.WaitForStatusAsync(httpId, Patience, "delivered");
        await http.WaitForStatusAsync(smtpId, Patience, "delivered");

        var run = await BrowserRun.RunAsync("captured-page.mjs",
            ["--url", $"http://127.0.0.1:{_app.HttpPort}", "--password", SendApiApp.AdminKey,
             "--expect", httpSubject, "--expect", smtpSubject, "--open", httpSubject, "--frame-text", "Rendered safely"],
            TimeSpan.FromSeconds(90));

        Assert.True(run.ExitCode == 0, run.Output);
        var listed = run.Seen!["listed"]!.AsArray().Select(s => (string)s!).ToList();
        Assert.Contains(httpSubject, listed);
        Assert.Contains(smtpSubject, listed);
        Assert.Equal(httpSubject, (string?)run.Seen["opened"]);
        Assert.Equal("", (string?)run.Seen["frameSandbox"]);
        Assert.StartsWith("Rendered safely, bold", (string?)run.Seen["frameText"]);
        Assert.Empty(run.Seen["dialogs"]!.AsArray());
    }

    [Fact]
    public async Task Without_the_admin_key_the_browser_gets_the_login_challenge_and_no_mail()
    {
        var http = _app.Client();
        var subject = $"secret {Guid.NewGuid():N}";
        await http.WaitForStatusAsync(await http.SendAsync(new { from = "a@acme.test", to = new[] { "bob@example.test" }, subject, text = "x" }), Patience, "delivered");
        var key = await _app.CreateKeyAsync("not-admin");

        var run = await BrowserRun.RunAsync("captured-page.mjs",
            ["--url", $"http://127.0.0.1:{_app.HttpPort}", "--password", key, "--expect", subject, "--open", subject],
            TimeSpan.FromSeconds(90));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("GET /captured answered 401", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Seen!["listed"]!.AsArray());
    }

    private async Task<string> SubmitAsync(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme", "orders@acme.test"));
        message.To.Add(new MailboxAddress("Carol", "carol@example.test"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Sent over SMTP submission" };
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
        var reply = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
        var match = QueuedAs().Match(reply);
        Assert.True(match.Success, $"No 'queued as <id>' in: {reply}");
        return match.Groups["id"].Value;
    }
}
