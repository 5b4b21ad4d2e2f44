using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Throttling;
using SendApi.Delivery;
using SendApi.Delivery.Throttling;
using SendApi.Delivery.Transport;
using SendApi.Storage;

namespace SendApi.UnitTests.Delivery;

/// <summary>A domain's turn, as the delivery job takes and gives it back, with the application's own registrations.</summary>
public sealed class DomainTurnsTests : IAsyncDisposable
{
    private readonly SlowReleaseThrottle _throttle = new();
    private readonly ServiceProvider _services;

    public DomainTurnsTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Dns:Servers"] = "127.0.0.1:1", ["Delivery:Domains:example.test:MaxConnections"] = "1" })
            .Build());
        services.AddLogging();
        services.AddSendApiStorage();
        services.AddSendApiDelivery();
        services.AddSingleton<IDomainThrottle>(_throttle);
        _services = services.BuildServiceProvider();
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task A_turn_is_given_back_at_once_while_the_store_has_not_yet_answered_the_release()
    {
        var turns = _services.GetRequiredService<DomainTurns>();
        var mx = _services.GetRequiredService<MxTransport>();

        var turn = await turns.WaitAsync("example.test", mx, default);
        var giveBack = turn.ReleaseAsync();

        Assert.True(turn.Granted);
        Assert.True(giveBack.IsCompleted, "the attempt must not wait for the store to confirm the release");
        Assert.Equal(["example.test"], _throttle.Released);
        var next = await turns.WaitAsync("example.test", mx, default);
        Assert.True(next.Granted);
        _throttle.AnswerReleases();
        await next.ReleaseAsync();
    }

    /// <summary>Grants every turn; a release is noted at once and answered only when the test says so.</summary>
    private sealed class SlowReleaseThrottle : IDomainThrottle
    {
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Released { get; } = [];

        public void AnswerReleases() => _answer.TrySetResult();

        public Task<ThrottleDecision> TryAcquireAsync(string domain, int maxConnections, double messagesPerSecond, TimeSpan maxWait, TimeSpan slotLease, CancellationToken cancellationToken) =>
            Task.FromResult(new ThrottleDecision(true, TimeSpan.Zero, Guid.NewGuid().ToString("N")));

        public Task ReleaseAsync(string domain, string token, CancellationToken cancellationToken)
        {
            lock (Released)
            {
                Released.Add(domain);
            }

            return _answer.Task;
        }

        public Task SetBackoffAsync(string domain, double factor, TimeSpan duration, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
