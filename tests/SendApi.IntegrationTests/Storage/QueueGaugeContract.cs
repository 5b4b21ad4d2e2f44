using SendApi.Core.Diagnostics;
using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about the queue gauges' reading: depth is every message in the
/// queue (waiting, claimed, deferred), due those due at the moment read and not claimed, and the
/// oldest due age how long the earliest of them has waited. Where they differ on purpose: only a
/// remote store (Redis) reports how long it took to answer; in process there is no round trip.
/// </summary>
public abstract class QueueGaugeContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract (IMessageStore Messages, IDeliveryQueue Queue, IQueueGauge Gauge) CreateStore();

    /// <summary>Whether the store is across a network, so that its answer time is worth a gauge.</summary>
    protected abstract bool Remote { get; }

    private static NewMessage Message(DateTimeOffset createdAt, DateTimeOffset? scheduledAt = null)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "acct", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("r@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), createdAt, $"{id}@sendapi.test", 3) { ScheduledAt = scheduledAt };
        return new NewMessage(envelope, "abc"u8.ToArray(), null);
    }

    [Fact]
    public async Task An_empty_queue_reads_nothing_due_and_no_age()
    {
        var (_, _, gauge) = CreateStore();

        var reading = await gauge.ReadAsync(T0, default);

        Assert.Equal((0L, 0L, TimeSpan.Zero), (reading.Depth, reading.Due, reading.OldestDueAge));
    }

    [Fact]
    public async Task Depth_counts_every_message_and_due_only_those_due_now_with_the_earliest_one_s_wait()
    {
        var (messages, _, gauge) = CreateStore();
        await messages.AcceptAsync(Message(T0), default);
        await messages.AcceptAsync(Message(T0.AddSeconds(10)), default);
        await messages.AcceptAsync(Message(T0, scheduledAt: T0.AddHours(1)), default);

        var reading = await gauge.ReadAsync(T0.AddSeconds(30), default);

        Assert.Equal((3L, 2L, TimeSpan.FromSeconds(30)), (reading.Depth, reading.Due, reading.OldestDueAge));
    }

    [Fact]
    public async Task A_queue_with_nothing_due_yet_reads_its_depth_with_no_age()
    {
        var (messages, _, gauge) = CreateStore();
        await messages.AcceptAsync(Message(T0, scheduledAt: T0.AddMinutes(5)), default);

        var reading = await gauge.ReadAsync(T0, default);

        Assert.Equal((1L, 0L, TimeSpan.Zero), (reading.Depth, reading.Due, reading.OldestDueAge));
    }

    [Fact]
    public async Task A_claimed_message_stays_in_the_depth_but_is_no_longer_due()
    {
        var (messages, queue, gauge) = CreateStore();
        var first = (await messages.AcceptAsync(Message(T0), default)).Id;
        await messages.AcceptAsync(Message(T0.AddSeconds(10)), default);
        var now = T0.AddSeconds(30);

        Assert.Equal([first], await queue.ClaimDueAsync("c1", now, 1, now.AddMinutes(2), default));
        var reading = await gauge.ReadAsync(now, default);

        Assert.Equal((2L, 1L, TimeSpan.FromSeconds(20)), (reading.Depth, reading.Due, reading.OldestDueAge));
    }

    [Fact]
    public async Task Only_a_remote_store_reports_its_answer_time()
    {
        var (_, _, gauge) = CreateStore();

        var reading = await gauge.ReadAsync(T0, default);

        Assert.Equal(Remote, reading.RoundTrip is not null);
        Assert.True(reading.RoundTrip is null || reading.RoundTrip.Value >= TimeSpan.Zero);
    }
}
