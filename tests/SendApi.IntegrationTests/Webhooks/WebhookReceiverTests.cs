using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Webhooks;

/// <summary>
/// What the webhook delivery tests share: a real receiver per test, which checks every signature
/// with its own Standard Webhooks implementation, and applications set up for webhooks (<see cref="WebhookApps"/>).
/// </summary>
public abstract class WebhookReceiverTests(DeliveryWorld world) : IAsyncLifetime
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected WebhookReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync() => Receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await Receiver.DisposeAsync();

    protected SendApiApp App(Dictionary<string, string?>? more = null) => WebhookApps.Create(world, more);

    protected static object Mail(string to) => WebhookApps.Mail(to);

    protected static string Unique(string local) => WebhookApps.Unique(local);
}
