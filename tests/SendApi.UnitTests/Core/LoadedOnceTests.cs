using SendApi.Core;

namespace SendApi.UnitTests.Core;

public sealed class LoadedOnceTests
{
    [Fact]
    public async Task Callers_arriving_together_share_one_read_and_later_ones_reuse_it()
    {
        var loaded = new LoadedOnce<string>();
        var reads = 0;
        var release = new TaskCompletionSource();
        async Task<string> Load(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref reads);
            await release.Task;
            return "key";
        }

        var waiting = Enumerable.Range(0, 8).Select(_ => loaded.GetAsync(Load, default).AsTask()).ToList();
        release.SetResult();
        var values = await Task.WhenAll(waiting);

        Assert.All(values, v => Assert.Equal("key", v));
        Assert.Equal("key", await loaded.GetAsync(Load, default));
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task A_failed_read_keeps_nothing_and_the_next_caller_reads_again()
    {
        var loaded = new LoadedOnce<string>();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await loaded.GetAsync(_ => Task.FromException<string>(new InvalidOperationException("store down")), default));

        Assert.Equal("key", await loaded.GetAsync(_ => Task.FromResult("key"), default));
        Assert.Equal("key", await loaded.GetAsync(_ => Task.FromResult("other"), default));
    }
}
