using System.Globalization;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Queue;

/// <summary>
/// The mail queue page in a real browser (Debian's chromium, driven by tests/browser/queue-page.mjs):
/// a domain whose MX answers 452 is listed with its deferred count and that reply; once its MX is
/// fixed, "Retry now" sends the mail at once, while the retry schedule would wait an hour.
/// The page is saved as TestResults/queue-page.png beside the tests (and as docs/images/queue-page.png
/// with SENDAPI_UPDATE_SCREENSHOTS=1).
/// </summary>
public sealed class QueuePageBrowserTests : IAsyncLifetime
{
    private const string Domain = "mailbox.test";
    private const string MxIp = "127.0.0.31";
    private const string Busy = "452 4.2.2 Mailbox full, try again later";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly int _port = FreePort.Tcp();
    private DnsServer _dns = null!;
    private PostfixSmtpSink? _broken;
    private AiosmtpdSink? _fixed;
    private SendApiApp _app = null!;

    public static string Screenshot => Path.Combine(AppContext.BaseDirectory, "TestResults", "queue-page.png");

    public async Task InitializeAsync()
    {
        _dns = await DnsServer.StartAsync(zone => zone.Mx(Domain, "mx." + Domain, 10).A("mx." + Domain, MxIp).NullMx("gone.test"));
        _broken = await PostfixSmtpSink.StartAsync(MxIp, _port, "-r", "RCPT", "-b", Busy);
        _app = new SendApiApp(new Dictionary<string, string?>
        {
            ["Dns:Servers"] = _dns.Server,
            ["Delivery:Port"] = _port.ToString(CultureInfo.InvariantCulture),
            ["Delivery:HeloName"] = "sendapi.test",
            ["Delivery:ConnectTimeout"] = "3s",
            ["Delivery:RetrySchedule"] = "1h",
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        if (_broken is not null)
        {
            await _broken.DisposeAsync();
        }

        if (_fixed is not null)
        {
            await _fixed.DisposeAsync();
        }

        await _dns.DisposeAsync();
    }

    [Fact]
    public async Task A_deferred_domain_shows_its_count_and_last_reply_and_retry_sends_its_mail_once_the_mx_is_fixed()
    {
        var http = _app.Client();
        var ids = new List<string>();
        foreach (var name in new[] { "ann", "ben", "cleo" })
        {
            ids.Add(await http.SendAsync(new { from = "Shop <orders@acme.test>", to = new[] { $"{name}@{Domain}" }, subject = $"Order for {name} <#42>", text = "x" }));
        }

        var failed = await http.SendAsync(new { from = "orders@acme.test", to = new[] { "nobody@gone.test" }, subject = "to a null MX", text = "x" });
        foreach (var id in ids)
        {
            await http.WaitForStatusAsync(id, Patience, "deferred");
        }

        await http.WaitForStatusAsync(failed, Patience, "failed");

        var before = await BrowserRun.RunAsync("queue-page.mjs",
            ["--url", $"http://127.0.0.1:{_app.HttpPort}", "--password", SendApiApp.AdminKey, "--domain", Domain, "--screenshot", Screenshot],
            TimeSpan.FromSeconds(90));

        Assert.True(before.ExitCode == 0, before.Output);
        var row = before.Seen!["row"]!;
        Assert.Equal(3, (int)row["deferred"]!);
        Assert.Equal(3, (int)row["queued"]!);
        Assert.Contains(Busy, (string?)row["lastReply"]);
        Assert.Equal("3", (string?)before.Seen["totals"]!["deferred"]);
        Assert.True(File.Exists(Screenshot) && new FileInfo(Screenshot).Length > 10_000, $"no screenshot at {Screenshot}");
        if (Environment.GetEnvironmentVariable("SENDAPI_UPDATE_SCREENSHOTS") == "1")
        {
            File.Copy(Screenshot, Path.Combine(Repository.Root, "docs", "images", "queue-page.png"), overwrite: true);
        }

        // The MX is fixed: the same address now runs a server that accepts the mail.
        await _broken!.DisposeAsync();
        _broken = null;
        _fixed = await AiosmtpdSink.StartAsync(MxIp, _port, "mx." + Domain);

        var retry = await BrowserRun.RunAsync("queue-page.mjs",
            ["--url", $"http://127.0.0.1:{_app.HttpPort}", "--password", SendApiApp.AdminKey, "--domain", Domain, "--retry"],
            TimeSpan.FromSeconds(90));

        Assert.True(retry.ExitCode == 0, retry.Output);
        Assert.Contains($"3 message(s) to {Domain} are due now", (string?)retry.Seen!["notice"]);
        foreach (var id in ids)
        {
            await http.WaitForStatusAsync(id, Patience, "delivered");
        }

        Assert.Equal(3, _fixed.Messages.Count);
    }
}
