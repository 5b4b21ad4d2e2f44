using SendApi.Core.Abuse;
using SendApi.Core.Instances;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about open SMTP connections counted across instances. A shared
/// store (Redis) counts per client address for every instance up to the cap, frees a place when a
/// connection closes, and stops counting an instance's connections once its heartbeat lapses. The
/// embedded store serves one instance, whose SMTP server counts in its process: it answers null,
/// so the server keeps its own count. Each test states both.
/// </summary>
public abstract class SharedConnectionCountsContract
{
    /// <summary>The connection counts as <paramref name="instance"/> sees them; instances of one deployment share the store.</summary>
    protected abstract ISharedConnectionCounts CreateCounts(ProcessInstance instance);

    /// <summary>The heartbeats of the same deployment.</summary>
    protected abstract IInstanceRegistry CreateRegistry();

    /// <summary>Whether connections are counted in the store, for all instances; false leaves it to each process.</summary>
    protected abstract bool Shared { get; }

    private bool? Counted(bool counted) => Shared ? counted : null;

    private static string NewAddress() => $"198.51.100.{Random.Shared.Next(1, 255)}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Connections_are_counted_per_address_up_to_the_cap()
    {
        var counts = CreateCounts(new ProcessInstance());
        var address = NewAddress();

        Assert.Equal(Counted(true), await counts.TryOpenAsync(address, "c1", 2, default));
        Assert.Equal(Counted(true), await counts.TryOpenAsync(address, "c2", 2, default));
        Assert.Equal(Counted(false), await counts.TryOpenAsync(address, "c3", 2, default));
        Assert.Equal(Counted(true), await counts.TryOpenAsync(NewAddress(), "c4", 2, default));
    }

    [Fact]
    public async Task A_closed_connection_frees_its_place()
    {
        var counts = CreateCounts(new ProcessInstance());
        var address = NewAddress();
        await counts.TryOpenAsync(address, "c1", 1, default);

        counts.Close(address, "c1");

        Assert.Equal(Counted(true), await counts.TryOpenAsync(address, "c2", 1, default));
        Assert.Equal(Counted(false), await counts.TryOpenAsync(address, "c3", 1, default));
    }

    [Fact]
    public async Task Connections_held_by_a_live_instance_count_for_the_others()
    {
        var other = new ProcessInstance();
        await CreateRegistry().HeartbeatAsync(other, TimeSpan.FromMinutes(1), default);
        var address = NewAddress();
        await CreateCounts(other).TryOpenAsync(address, "c1", 2, default);
        await CreateCounts(other).TryOpenAsync(address, "c2", 2, default);

        Assert.Equal(Counted(false), await CreateCounts(new ProcessInstance()).TryOpenAsync(address, "c3", 2, default));
    }

    [Fact]
    public async Task Connections_of_an_instance_whose_heartbeat_lapsed_stop_counting()
    {
        var dead = new ProcessInstance();
        await CreateRegistry().HeartbeatAsync(dead, TimeSpan.Zero, default);
        var address = NewAddress();
        await CreateCounts(dead).TryOpenAsync(address, "c1", 2, default);
        await CreateCounts(dead).TryOpenAsync(address, "c2", 2, default);

        var alive = CreateCounts(new ProcessInstance());

        Assert.Equal(Counted(true), await alive.TryOpenAsync(address, "c3", 2, default));
        Assert.Equal(Counted(true), await alive.TryOpenAsync(address, "c4", 2, default));
        Assert.Equal(Counted(false), await alive.TryOpenAsync(address, "c5", 2, default));
    }

    [Fact]
    public async Task An_instance_counts_its_own_connections_before_its_first_heartbeat()
    {
        var starting = CreateCounts(new ProcessInstance());
        var address = NewAddress();

        Assert.Equal(Counted(true), await starting.TryOpenAsync(address, "c1", 1, default));
        Assert.Equal(Counted(false), await starting.TryOpenAsync(address, "c2", 1, default));
    }

    [Fact]
    public async Task Parallel_opens_never_pass_the_cap()
    {
        var counts = CreateCounts(new ProcessInstance());
        var address = NewAddress();

        var opened = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => counts.TryOpenAsync(address, $"c{i}", 5, default))));

        Assert.Equal(Shared ? 5 : 0, opened.Count(o => o == true));
        Assert.Equal(Shared ? 15 : 0, opened.Count(o => o == false));
    }
}
