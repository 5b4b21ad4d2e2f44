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
/// The account has the template <see cref="TemplateName"/> (and whatever the provider's run
/// creates), and tracking links point at <see cref="TrackingBaseUrl"/>.
/// </summary>
public abstract class SdkRun : IAsyncLifetime
{
    /// <summary>Where the tracked links and List-Unsubscribe point: only written into mail, never requested.</summary>
    public const string TrackingBaseUrl = "https://track.acme.test";

    /// <summary>A template with a link: "Welcome {{name}}", html and text.</summary>
    public const string TemplateName = "welcome";

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

    /// <summary>A template named as the provider names its templates by id (Postmark: a number; SendGrid: "d-…"), created by the run.</summary>
    protected virtual string? ProviderTemplateId => null;

    public string To(string name) => $"{name}-{Run}@example.test";

    public async Task InitializeAsync()
    {
        await World.InitializeAsync();
        App = new SendApiApp(World.Settings(new() { ["Tracking:BaseUrl"] = TrackingBaseUrl }));
        Http = App.Client();
        await CreateTemplateAsync(Http, TemplateName);
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
            ["TEMPLATE"] = TemplateName,
            ["TEMPLATE_ID"] = ProviderTemplateId,
        });
    }

    /// <summary>What the script's cases need in SendApi first (a suppressed address, a template named as the provider names it).</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    /// <summary>Stores the welcome template under <paramref name="name"/> through our own API, as a user moving to SendApi would.</summary>
    public static async Task CreateTemplateAsync(HttpClient http, string name)
    {
        using var response = await http.PostAsJsonAsync("/templates", new
        {
            name,
            subject = "Welcome {{name}}",
            html = "<p>Hello {{name}}, <a href=\"https://acme.test/start\">start here</a></p>",
            text = "Hello {{name}}, start at https://acme.test/start",
        });
        response.EnsureSuccessStatusCode();
    }

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

    /// <summary>Postmark's TemplateId is a number: the template it names is stored under that number.</summary>
    public const string TemplateId = "12345";

    protected override string? ProviderTemplateId => TemplateId;

    protected override async Task PrepareAsync()
    {
        using var response = await Http.PostAsJsonAsync("/suppressions", new { address = To("inactive"), reason = "manual" });
        response.EnsureSuccessStatusCode();
        await CreateTemplateAsync(Http, TemplateId);
    }
}

public sealed class SendGridSdkRun : SdkRun
{
    protected override string Script => "sendgrid.mjs";

    protected override string Package => "@sendgrid/mail";

    protected override string Prefix => "/compat/sendgrid";

    /// <summary>A SendGrid dynamic template id ("d-" and 32 hex digits): a valid template name as it is.</summary>
    public const string TemplateId = "d-0123456789abcdef0123456789abcdef";

    protected override string? ProviderTemplateId => TemplateId;

    protected override Task PrepareAsync() => CreateTemplateAsync(Http, TemplateId);
}
