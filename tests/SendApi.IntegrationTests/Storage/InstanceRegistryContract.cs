using SendApi.Core.Instances;
using SendApi.Core.Messages;
using SendApi.Core.Throttling;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about instances and their heartbeats. A shared store (Redis)
/// takes over an instance whose heartbeat lapsed, once: its claimed messages are due again at
/// once and its domain connection slots are free. An instance still beating is never taken over.
/// The embedded store dies with its only instance, so there is never anyone to take over: what a
/// claim or slot holds waits for its lease. Each test states both.
/// </summary>
public abstract class InstanceRegistryContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    /// <summary>The registry, queue and throttle of one deployment: each call sees the same store.</summary>
    protected abstract IInstanceRegistry CreateRegistry();

    protected abstract IDeliveryQueue Queue { get; }

    protected abstract IMessageStore Messages { get; }

    protected abstract IDomainThrottle CreateThrottle(ProcessInstance instance);

    /// <summary>Whether instances share the store, so that one can take over what another held.</summary>
    protected abstract bool Shared { get; }

    private TakenOver Expected(int instances, int messages = 0, int slots = 0) =>
        Shared ? new TakenOver(instances, messages, slots) : default;

    private static NewMessage Message(DateTimeOffset createdAt)
    {
        var id = MessageIds.New();
        var envelope = new MessageEnvelope(
            id, "acct", "a@acme.test", "a@acme.test", "s", [new RecipientAddress("r@example.test", RecipientKind.To)],
            [], new Dictionary<string, string>(), createdAt, $"{id}@sendapi.test", 3);
        return new NewMessage(envelope, "abc"u8.ToArray(), null);
    }

    [Fact]
    public async Task With_every_instance_beating_nothing_is_taken_over()
    {
        var registry = CreateRegistry();
        await registry.HeartbeatAsync(new ProcessInstance(), TimeSpan.FromMinutes(1), default);
        await registry.HeartbeatAsync(new ProcessInstance(), TimeSpan.FromMinutes(1), default);

        Assert.Equal(default, await registry.TakeOverLapsedAsync(T0, default));
    }

    [Fact]
    public async Task An_instance_whose_heartbeat_lapsed_is_taken_over_once()
    {
        var registry = CreateRegistry();
        await registry.HeartbeatAsync(new ProcessInstance(), TimeSpan.Zero, default);
        await registry.HeartbeatAsync(new ProcessInstance(), TimeSpan.FromMinutes(1), default);

        Assert.Equal(Expected(instances: 1), await registry.TakeOverLapsedAsync(T0, default));
        Assert.Equal(default, await registry.TakeOverLapsedAsync(T0, default));
    }

    [Fact]
    public async Task A_lapsed_instance_s_claimed_messages_are_due_again_at_once_and_a_live_one_s_are_not()
    {
        var dead = new ProcessInstance();
        var alive = new ProcessInstance();
        var registry = CreateRegistry();
        await registry.HeartbeatAsync(dead, TimeSpan.Zero, default);
        await registry.HeartbeatAsync(alive, TimeSpan.FromMinutes(1), default);
        // Due one after the other, so that each worker claims the one meant for it.
        var held = (await Messages.AcceptAsync(Message(T0), default)).Id;
        var kept = (await Messages.AcceptAsync(Message(T0.AddSeconds(1)), default)).Id;
        Assert.Equal([held], await Queue.ClaimDueAsync(dead.Token("worker"), T0, 10, T0 + Lease, default));
        Assert.Equal([kept], await Queue.ClaimDueAsync(alive.Token("worker"), T0.AddSeconds(1), 10, T0 + Lease, default));
        var now = T0.AddSeconds(30);

        Assert.Equal(Expected(instances: 1, messages: 1), await registry.TakeOverLapsedAsync(now, default));

        var reclaimed = await Queue.ClaimDueAsync("successor", now, 10, now + Lease, default);
        Assert.Equal(Shared ? [held] : [], reclaimed);
    }

    [Fact]
    public async Task A_lapsed_instance_s_domain_connection_slots_are_freed()
    {
        var dead = new ProcessInstance();
        var registry = CreateRegistry();
        await registry.HeartbeatAsync(dead, TimeSpan.FromMinutes(1), default);
        var domain = $"d{Guid.NewGuid():N}.test";
        Assert.True((await CreateThrottle(dead).TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, Lease, default)).Granted);
        await registry.HeartbeatAsync(dead, TimeSpan.Zero, default);

        Assert.Equal(Expected(instances: 1, slots: 1), await registry.TakeOverLapsedAsync(T0, default));

        var successor = await CreateThrottle(new ProcessInstance()).TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, Lease, default);
        Assert.Equal(Shared, successor.Granted);
    }
}
