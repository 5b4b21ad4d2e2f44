using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Capture;
using SendApi.IntegrationTests.Harness;
using static SendApi.IntegrationTests.ApiKeys.ApiKeysTestKit;

namespace SendApi.IntegrationTests.ApiKeys;

/// <summary>
/// Sandbox keys on an instance that sends for real (Delivery:Mode is not capture), with the
/// recipients' MX up and reachable (DeliveryWorld): a sandbox key's mail goes through everything
/// and is captured, never sent, while another key's mail to the same MX arrives; the message,
/// its events' webhooks and the capture say so. Both storage modes.
/// </summary>
public abstract class SandboxKeyTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private WebhookReceiver _receiver = null!;

    public override async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        settings["Webhooks:PollInterval"] = "50ms";
        settings["Webhooks:SchedulePollingInterval"] = "200ms";
        settings["Smtp:AllowInsecureAuth"] = "true";
    }

    [Fact]
    public async Task A_sandbox_key_s_mail_is_captured_never_reaches_the_MX_and_says_sandbox_in_the_API_and_webhooks()
    {
        var account = $"sandbox-{Guid.NewGuid():N}";
        var sandboxKey = await App.CreateKeyAsync(new { name = "tests", account_id = account, sandbox = true });
        var live = App.ClientOf(await App.CreateKeyAsync(new { name = "live", account_id = account }));
        var sandbox = App.ClientOf(sandboxKey);
        Assert.True((bool)sandboxKey["sandbox"]!);
        await live.CreateWebhookAsync(_receiver.Url, "message.queued", "message.delivered");
        var (toSandbox, toLive) = (Unique("bob"), Unique("carol"));

        var sandboxed = await sandbox.SendAsync(Mail("orders@acme.test", toSandbox));
        var sent = await live.SendAsync(Mail("orders@acme.test", toLive));

        // The live message reaches the MX: the instance sends; only the sandbox key's mail is kept.
        await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(toLive));
        var status = await sandbox.WaitForStatusAsync(sandboxed, Patience, "delivered");
        Assert.True((bool)status["sandbox"]!);
        Assert.Equal("capture", (string?)Assert.Single(status.Events("delivered"))["mx"]);
        Assert.False((bool)(await live.GetMessageAsync(sent))["sandbox"]!);
        var capture = Assert.Single(await sandbox.CapturesOfAsync(sandboxed));
        Assert.Equal([toSandbox], capture["envelope"]!["rcpt_to"]!.AsArray().Select(r => (string)r!));
        Assert.Empty(await sandbox.CapturesOfAsync(sent));

        var hooks = await _receiver.WaitForAsync(
            r => r.Count(h => h.MessageId == sandboxed) >= 2 && r.Any(h => h.MessageId == sent && h.Type == "message.delivered"), Patience, "both messages' events");
        Assert.All(hooks.Where(h => h.MessageId == sandboxed), h => Assert.True((bool)h.Data["sandbox"]!));
        Assert.All(hooks.Where(h => h.MessageId == sent), h => Assert.Null(h.Data["sandbox"]));
        Assert.DoesNotContain(World.Mx1.Messages, m => m.RcptTos.Contains(toSandbox));
    }

    [Fact]
    public async Task A_sandbox_key_s_SMTP_submission_is_captured_too()
    {
        var key = await App.CreateKeyAsync(new { name = "smtp-sandbox", sandbox = true });
        var (tcp, smtp) = await App.RawSubmissionAsync((string)key["key"]!);
        using var connection = tcp;
        var to = Unique("dora");

        var reply = await smtp.SendAsync("orders@acme.test", "orders@acme.test", to);

        Assert.StartsWith("250 2.0.0 ", reply);
        var id = reply.Split("queued as ")[1][..32];
        var client = App.ClientOf(key);
        Assert.True((bool)(await client.WaitForStatusAsync(id, Patience, "delivered"))["sandbox"]!);
        Assert.Single(await client.CapturesOfAsync(id));
        Assert.DoesNotContain(World.Mx1.Messages, m => m.RcptTos.Contains(to));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _receiver.DisposeAsync();
    }
}

public sealed class EmbeddedSandboxKeyTests(DeliveryWorld world) : SandboxKeyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisSandboxKeyTests(DeliveryWorld world) : SandboxKeyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
