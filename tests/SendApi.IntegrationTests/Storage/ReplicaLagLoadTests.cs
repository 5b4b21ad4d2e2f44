using Microsoft.Extensions.DependencyInjection;
using SendApi.Core.Messages;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What a delivery job's load can meet in a Sentinel failover (seen in CI: one acknowledged message
/// failed for good with "The stored message cannot be read: End of stream", four stayed queued and
/// were never attempted): a read that does not find the record a replica had not received yet, or
/// the record without its body. Here on a real Redis, the load misses the record, or the body is
/// renamed away for the one load and back after it. Neither may lose or fail the message.
/// </summary>
public sealed class ReplicaLagLoadTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    // The store's RetryAfter (at least 5 s) is the wait; room for a loaded machine.
    private static readonly TimeSpan DeliveredWithin = TimeSpan.FromSeconds(45);

    private RedisServer _redis = null!;
    private SendApiApp _app = null!;
    private LaggingLoad _lag = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _lag = new LaggingLoad(_redis);
        _app = new SendApiApp(world.Settings(new() { ["ConnectionStrings:Redis"] = _redis.ConnectionString }), services: _lag.AddTo);
        // Delivered before a test arms the lag, so that the load it hits is the test's message's.
        var client = _app.Client();
        await client.WaitForStatusAsync(await client.SendAsync(Message($"warm-up-{Guid.NewGuid():N}@example.test")), TimeSpan.FromSeconds(30), "delivered");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_load_that_misses_the_record_does_not_drop_the_message_from_the_queue()
    {
        var client = _app.Client();
        _lag.Arm(LaggingLoad.Mode.MissRecord);
        var recipient = $"missed-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(Message(recipient));

        Assert.True(await _lag.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never loaded the message.");
        // Before the fix the job took the miss for "no such message" and removed the queue entry:
        // the message stayed "queued" with 0 attempts for good.
        var message = await client.WaitForStatusAsync(id, DeliveredWithin, "delivered");
        Assert.Equal("delivered", (string?)message["status"]);
        Assert.Single(world.Mx1.Messages, m => m.RcptTos.Contains(recipient));
    }

    [Fact]
    public async Task A_record_read_without_its_body_waits_for_the_body_and_is_sent_whole_not_failed()
    {
        var client = _app.Client();
        _lag.Arm(LaggingLoad.Mode.HideBody);
        var recipient = $"bodiless-{Guid.NewGuid():N}@example.test";
        var id = await client.SendAsync(Message(recipient));

        Assert.True(await _lag.Happened.WaitAsync(TimeSpan.FromSeconds(30)), "The delivery job never loaded the message.");
        Assert.True(_lag.SawBodyMissing, "The load did not report the body as missing.");

        // Before the fix: failed at once, "554 5.6.0 The stored message cannot be read: End of stream".
        var message = await client.WaitForStatusAsync(id, DeliveredWithin, "delivered", "failed");
        Assert.Equal("delivered", (string?)message["status"]);
        var received = Assert.Single(world.Mx1.Messages, m => m.RcptTos.Contains(recipient));
        Assert.Equal("lagging load", received.Parse().Subject);
        Assert.DoesNotContain(message["events"]!.AsArray(), e => (string?)e!["type"] == "failed");
        // Waiting for the body is not an attempt.
        Assert.Equal(1, (int)message["recipients"]![0]!["attempts"]!);
    }

    private static object Message(string to) => new
    {
        from = "app@acme.test",
        to = new[] { to },
        subject = "lagging load",
        text = "the whole body",
    };

    /// <summary>Makes the next load after <see cref="Arm"/> see what a lagging replica would.</summary>
    private sealed class LaggingLoad(RedisServer redis)
    {
        public enum Mode
        {
            Off,
            MissRecord,
            HideBody,
        }

        private int _mode;
        private int _sawBodyMissing;
        private TaskCompletionSource _happened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> Happened => _happened.Task.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);

        public bool SawBodyMissing => Volatile.Read(ref _sawBodyMissing) == 1;

        public void Arm(Mode mode)
        {
            _happened = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _sawBodyMissing, 0);
            Volatile.Write(ref _mode, (int)mode);
        }

        public void AddTo(IServiceCollection services) => HookedDeliveryQueue.Register(services, load: LoadAsync);

        private async Task<DeliveryWork?> LoadAsync(IDeliveryQueue inner, string id, CancellationToken cancellationToken)
        {
            switch ((Mode)Interlocked.Exchange(ref _mode, (int)Mode.Off))
            {
                case Mode.MissRecord:
                    (await inner.LoadAsync(id, cancellationToken))?.Buffer?.Dispose();
                    _happened.TrySetResult();
                    return null;

                case Mode.HideBody:
                    var mime = $"sendapi:msg:{id}:mime";
                    var hidden = $"sendapi:test-hidden:{id}";
                    Assert.Equal("+OK", await redis.ExecuteAsync("RENAME", mime, hidden));
                    try
                    {
                        var work = await inner.LoadAsync(id, cancellationToken);
                        Volatile.Write(ref _sawBodyMissing, work?.BodyMissing == true ? 1 : 0);
                        return work;
                    }
                    finally
                    {
                        Assert.Equal("+OK", await redis.ExecuteAsync("RENAME", hidden, mime));
                        _happened.TrySetResult();
                    }

                default:
                    return await inner.LoadAsync(id, cancellationToken);
            }
        }
    }
}
