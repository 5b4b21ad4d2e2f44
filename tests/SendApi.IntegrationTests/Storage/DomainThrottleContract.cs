using SendApi.Core.Throttling;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both domain throttles promise: connection slots up to the limit, a lapsed lease frees a
/// slot, transactions spaced by the rate (GCRA) within the longest wait, and a backoff factor
/// that lowers both for a while. The embedded throttle reads the injected clock; the Redis one
/// reads Redis's own (TIME) by design, which no test controls: so each test states what holds on
/// both, measuring time on <see cref="Clock"/> and bounding every wait by what was measured.
/// </summary>
public abstract class DomainThrottleContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    // Redis reads its clock in whole milliseconds and rounds waits up.
    private static readonly TimeSpan Rounding = TimeSpan.FromMilliseconds(2);

    protected abstract IDomainThrottle CreateThrottle();

    /// <summary>The clock the throttle's time passes on, for measuring.</summary>
    protected abstract TimeProvider Clock { get; }

    /// <summary>Lets time pass for the throttle: the fake clock moves (embedded), or real time passes (Redis).</summary>
    protected abstract Task LetTimePassAsync(TimeSpan span);

    private static string NewDomain() => $"d{Guid.NewGuid():N}.test";

    [Fact]
    public async Task Connection_slots_are_granted_up_to_the_limit_and_a_released_one_is_free_again()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();

        var first = await throttle.TryAcquireAsync(domain, 2, 0, TimeSpan.Zero, Lease, default);
        var second = await throttle.TryAcquireAsync(domain, 2, 0, TimeSpan.Zero, Lease, default);
        var third = await throttle.TryAcquireAsync(domain, 2, 0, TimeSpan.Zero, Lease, default);

        Assert.True(first.Granted && second.Granted);
        Assert.Equal(TimeSpan.Zero, first.Wait);
        Assert.NotNull(first.Token);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(new ThrottleDecision(false, ThrottleRules.SlotsFullRetry, null), third);

        await throttle.ReleaseAsync(domain, first.Token, default);
        Assert.True((await throttle.TryAcquireAsync(domain, 2, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(domain, 2, 0, TimeSpan.Zero, Lease, default)).Granted);
    }

    [Fact]
    public async Task Each_domain_has_its_own_slots()
    {
        var throttle = CreateThrottle();
        var busy = NewDomain();
        Assert.True((await throttle.TryAcquireAsync(busy, 1, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(busy, 1, 0, TimeSpan.Zero, Lease, default)).Granted);

        Assert.True((await throttle.TryAcquireAsync(NewDomain(), 1, 0, TimeSpan.Zero, Lease, default)).Granted);
    }

    [Fact]
    public async Task A_slot_never_released_lapses_when_its_lease_runs_out()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();
        var lease = TimeSpan.FromSeconds(1);
        var start = Clock.GetTimestamp();
        Assert.True((await throttle.TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, lease, default)).Granted);

        // Its holder died: nobody releases it.
        await PassUntilAsync(async () => (await throttle.TryAcquireAsync(domain, 1, 0, TimeSpan.Zero, lease, default)).Granted);

        Assert.True(Clock.GetElapsedTime(start) >= lease - Rounding, $"free after {Clock.GetElapsedTime(start)}, before its lease of {lease} ran out");
    }

    [Fact]
    public async Task Transactions_are_spaced_by_the_rate_each_told_when_to_start()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();
        var interval = TimeSpan.FromSeconds(1);

        // Each start is the first one's plus k intervals: wait_k = k·interval − (now_k − now_0),
        // where the throttle's now_k − now_0 lies between what was measured around the calls.
        var before0 = Clock.GetTimestamp();
        var first = await throttle.TryAcquireAsync(domain, 100, 1, TimeSpan.FromSeconds(10), Lease, default);
        var after0 = Clock.GetTimestamp();
        Assert.True(first.Granted);
        Assert.Equal(TimeSpan.Zero, first.Wait);
        await throttle.ReleaseAsync(domain, first.Token!, default);

        for (var k = 1; k <= 4; k++)
        {
            var before = Clock.GetTimestamp();
            var permit = await throttle.TryAcquireAsync(domain, 100, 1, TimeSpan.FromSeconds(10), Lease, default);
            var after = Clock.GetTimestamp();

            Assert.True(permit.Granted);
            var longest = k * interval - Elapsed(after0, before) + Rounding;
            var shortest = k * interval - Elapsed(before0, after) - Rounding;
            Assert.InRange(permit.Wait, shortest, longest);
            await throttle.ReleaseAsync(domain, permit.Token!, default);
        }
    }

    [Fact]
    public async Task A_start_further_away_than_the_longest_wait_is_refused_and_reserves_nothing()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();
        var maxWait = TimeSpan.FromSeconds(1.5);
        var start = Clock.GetTimestamp();
        Assert.True((await throttle.TryAcquireAsync(domain, 100, 1, maxWait, Lease, default)).Granted);
        Assert.True((await throttle.TryAcquireAsync(domain, 100, 1, maxWait, Lease, default)).Granted);

        // The next start is 2 s after the first: half a second beyond the longest wait.
        var refused = await throttle.TryAcquireAsync(domain, 100, 1, maxWait, Lease, default);
        var again = await throttle.TryAcquireAsync(domain, 100, 1, maxWait, Lease, default);
        var elapsed = Clock.GetElapsedTime(start);

        foreach (var decision in new[] { refused, again })
        {
            Assert.False(decision.Granted);
            Assert.Null(decision.Token);
            Assert.InRange(decision.Wait, TimeSpan.FromSeconds(0.5) - elapsed - Rounding, TimeSpan.FromSeconds(0.5) + Rounding);
        }

        // Had the refusals reserved their starts, this one would be 4 s away.
        var patient = await throttle.TryAcquireAsync(domain, 100, 1, TimeSpan.FromSeconds(10), Lease, default);
        Assert.True(patient.Granted);
        Assert.InRange(patient.Wait, TimeSpan.FromSeconds(2) - Clock.GetElapsedTime(start) - Rounding, TimeSpan.FromSeconds(2) + Rounding);
    }

    [Fact]
    public async Task A_backoff_lowers_connections_and_rate_until_it_ends()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();
        var duration = TimeSpan.FromSeconds(1.5);
        var start = Clock.GetTimestamp();
        await throttle.SetBackoffAsync(domain, 0.5, duration, default);

        // Half the connections...
        Assert.True((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.True((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);

        // ...and half the rate: 1 per second becomes one every 2 s.
        var other = NewDomain();
        await throttle.SetBackoffAsync(other, 0.5, TimeSpan.FromMinutes(5), default);
        Assert.Equal(TimeSpan.Zero, (await throttle.TryAcquireAsync(other, 100, 1, TimeSpan.FromSeconds(10), Lease, default)).Wait);
        var spaced = Clock.GetTimestamp();
        var second = await throttle.TryAcquireAsync(other, 100, 1, TimeSpan.FromSeconds(10), Lease, default);
        Assert.InRange(second.Wait, TimeSpan.FromSeconds(2) - Clock.GetElapsedTime(spaced) - TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2) + Rounding);

        // When the backoff ends, the two held slots leave room for two more.
        await PassUntilAsync(async () => (await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.True(Clock.GetElapsedTime(start) >= duration - Rounding, $"back to normal after {Clock.GetElapsedTime(start)}, before the backoff of {duration} ended");
        Assert.True((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
    }

    [Fact]
    public async Task A_backoff_never_leaves_a_domain_without_a_connection()
    {
        var throttle = CreateThrottle();
        var domain = NewDomain();
        await throttle.SetBackoffAsync(domain, 0.1, TimeSpan.FromMinutes(5), default);

        Assert.True((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
        Assert.False((await throttle.TryAcquireAsync(domain, 4, 0, TimeSpan.Zero, Lease, default)).Granted);
    }

    private TimeSpan Elapsed(long from, long to) => Clock.GetElapsedTime(from, to);

    /// <summary>Lets time pass in steps until <paramref name="condition"/> holds; fails after a generous bound.</summary>
    private async Task PassUntilAsync(Func<Task<bool>> condition)
    {
        var start = Clock.GetTimestamp();
        while (!await condition())
        {
            Assert.True(Clock.GetElapsedTime(start) < TimeSpan.FromSeconds(30), "the condition never came true");
            await LetTimePassAsync(Step);
        }
    }
}
