using SendApi.Core.Abuse;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about failed SMTP AUTH attempts counted across instances. A
/// shared store (Redis) counts per client address, for every instance that uses it, within the
/// window and up to the cap. The embedded store serves one instance, whose SMTP server counts in
/// its process: it answers null to both calls, so the server falls back to its own count. Each
/// test states what the shared store counts and that the embedded one leaves it to the process.
/// </summary>
public abstract class SharedAuthFailuresContract
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>One instance's view of the store; instances of one deployment share what is stored.</summary>
    protected abstract ISharedAuthFailures CreateFailures();

    /// <summary>Whether failures are counted in the store, for all instances; false leaves it to each process.</summary>
    protected abstract bool Shared { get; }

    private int? Counted(int count) => Shared ? count : null;

    protected static string NewAddress() => $"192.0.2.{Random.Shared.Next(1, 255)}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Each_failure_is_counted_for_its_address_up_to_the_cap()
    {
        var failures = CreateFailures();
        var address = NewAddress();

        Assert.Equal(Counted(0), await failures.CountAsync(address, Window, default));
        Assert.Equal(Counted(1), await failures.RecordAsync(address, Window, 3, default));
        Assert.Equal(Counted(2), await failures.RecordAsync(address, Window, 3, default));
        Assert.Equal(Counted(3), await failures.RecordAsync(address, Window, 3, default));
        Assert.Equal(Counted(3), await failures.RecordAsync(address, Window, 3, default));
        Assert.Equal(Counted(3), await failures.CountAsync(address, Window, default));
    }

    [Fact]
    public async Task Each_address_has_its_own_count()
    {
        var failures = CreateFailures();
        var guessing = NewAddress();
        await failures.RecordAsync(guessing, Window, 10, default);
        await failures.RecordAsync(guessing, Window, 10, default);

        Assert.Equal(Counted(0), await failures.CountAsync(NewAddress(), Window, default));
        Assert.Equal(Counted(2), await failures.CountAsync(guessing, Window, default));
    }

    [Fact]
    public async Task Failures_seen_by_one_instance_count_for_the_others()
    {
        var first = CreateFailures();
        var second = CreateFailures();
        var address = NewAddress();

        await first.RecordAsync(address, Window, 10, default);
        Assert.Equal(Counted(2), await second.RecordAsync(address, Window, 10, default));
        Assert.Equal(Counted(2), await first.CountAsync(address, Window, default));
    }

    [Fact]
    public async Task Parallel_failures_are_each_counted_once()
    {
        var failures = CreateFailures();
        var address = NewAddress();

        var counts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => failures.RecordAsync(address, Window, 100, default))));

        Assert.Equal(Enumerable.Range(1, 20).Select(Counted), counts.Order());
    }
}
