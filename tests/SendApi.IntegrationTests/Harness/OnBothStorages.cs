namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// A test family that must hold on both storage modes: each test gets an application on the
/// storage its subclass names (the embedded store, or a redis-server of the class's own), set up
/// for the delivery world, and both are stopped after it.
/// </summary>
public abstract class OnBothStorages(DeliveryWorld world) : IAsyncLifetime
{
    private StorageUnderTest _storage = null!;

    protected DeliveryWorld World { get; } = world;

    /// <summary>True to run on a redis-server of the class's own, false on the embedded store.</summary>
    protected abstract bool OnRedis { get; }

    protected SendApiApp App { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        _storage = await StorageUnderTest.StartAsync(OnRedis);
        var settings = _storage.Settings();
        Configure(settings);
        App = new SendApiApp(World.Settings(settings));
        Http = App.Client();
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _storage.DisposeAsync();
    }

    /// <summary>The family's own settings, added to the storage's and the world's.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }
}
