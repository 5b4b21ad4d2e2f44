using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Compat;

/// <summary>
/// A provider's SDK script run once against a real SendApi delivering to the local MX world:
/// the test class asserts on what the SDK returned (<see cref="Result"/>) and on what the MX
/// received. Recipients are <c>&lt;case&gt;-&lt;run&gt;@example.test</c> (<see cref="To"/>).
/// </summary>
public abstract class SdkRun : IAsyncLifetime
{
    public DeliveryWorld World { get; } = new();

    public SendApiApp App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Run { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>When the scripts' scheduled case goes out: a few seconds after the script starts.</summary>
    public DateTimeOffset SendAt { get; private set; }

    public JsonNode Result { get; private set; } = null!;

    protected abstract string Script { get; }

    protected abstract string Package { get; }

    protected abstract string Prefix { get; }

    public string To(string name) => $"{name}-{Run}@example.test";

    public async Task InitializeAsync()
    {
        await World.InitializeAsync();
        App = new SendApiApp(World.Settings());
        Http = App.Client();
        await PrepareAsync();
        SendAt = DateTimeOffset.UtcNow.AddSeconds(6);
        Result = await SdkScript.RunAsync(Script, Package, new Dictionary<string, string?>
        {
            ["BASE_URL"] = $"http://127.0.0.1:{App.HttpPort}{Prefix}",
            ["API_KEY"] = SendApiApp.AdminKey,
            ["FROM"] = "sender@acme.test",
            ["RUN"] = Run,
            ["DOMAIN"] = "example.test",
            ["SEND_AT"] = SendAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>What the script's cases need in SendApi first (a suppressed address, say).</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await World.DisposeAsync();
    }

    /// <summary>What the SDK resolved for <paramref name="name"/> (under <paramref name="field"/>), failing with the whole case when it is not there.</summary>
    public JsonNode Case(string name, string field)
    {
        var result = Result[name]?[field];
        Assert.True(result is not null, $"{Script} case '{name}' has no '{field}': {Result[name]?.ToJsonString()}");
        return result!;
    }

    /// <summary>The one message the MX received for <paramref name="name"/>'s recipient.</summary>
    public async Task<ReceivedMessage> ReceivedAsync(string name) =>
        (await World.Mx1.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), m => m.RcptTos.Contains(To(name))))[0];

    /// <summary>Whether anything reached the MX for <paramref name="name"/>'s recipient (after giving delivery a moment).</summary>
    public async Task<bool> AnyReceivedAsync(string name)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        return World.Mx1.Messages.Any(m => m.RcptTos.Contains(To(name)));
    }
}

public sealed class ResendSdkRun : SdkRun
{
    protected override string Script => "resend.mjs";

    protected override string Package => "resend";

    protected override string Prefix => "/compat/resend";
}

public sealed class PostmarkSdkRun : SdkRun
{
    protected override string Script => "postmark.mjs";

    protected override string Package => "postmark";

    protected override string Prefix => "/compat/postmark";

    protected override async Task PrepareAsync()
    {
        using var response = await Http.PostAsJsonAsync("/suppressions", new { address = To("inactive"), reason = "manual" });
        response.EnsureSuccessStatusCode();
    }
}

public sealed class SendGridSdkRun : SdkRun
{
    protected override string Script => "sendgrid.mjs";

    protected override string Package => "@sendgrid/mail";

    protected override string Prefix => "/compat/sendgrid";
}
