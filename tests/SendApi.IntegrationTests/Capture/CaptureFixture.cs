using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// One capture-mode application per test class (starting one costs seconds on a busy machine), on
/// the class's storage, made on first use with the class's <see cref="DeliveryWorld"/>: the
/// recipients' MX hosts are reachable, so that mail escaping capture would arrive there. Settings:
/// a VERP return-path domain, webhooks to loopback allowed, and a slow limit for limited.test.
/// </summary>
public abstract class CaptureFixture(bool onRedis) : IAsyncLifetime
{
    private readonly Lock _gate = new();
    private StorageUnderTest _storage = null!;
    private SendApiApp? _app;

    public bool OnRedis { get; } = onRedis;

    public async Task InitializeAsync() => _storage = await StorageUnderTest.StartAsync(OnRedis);

    public SendApiApp App(DeliveryWorld world)
    {
        lock (_gate)
        {
            if (_app is null)
            {
                var settings = _storage.Settings();
                settings["Delivery:Mode"] = "capture";
                settings["Delivery:ReturnPathDomain"] = "bounces.sendapi.test";
                settings["Delivery:Domains:limited.test:MaxMessagesPerSecond"] = "0.01";
                settings["Delivery:Domains:limited.test:MaxConnections"] = "1";
                _app = WebhookApps.Create(world, settings);
            }

            return _app;
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _storage.DisposeAsync();
    }
}

public sealed class EmbeddedCaptureFixture() : CaptureFixture(onRedis: false);

public sealed class RedisCaptureFixture() : CaptureFixture(onRedis: true);
