using System.Security.Cryptography;
using SendApi.Core.Tracking;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about the tracking key: the first proposal stored wins, for
/// everyone asking the store, even when they ask together. Where they differ on purpose: Redis
/// keeps the key for every instance and restart to come; the embedded store keeps it for the
/// life of its process, so a restart (a new store) makes a new one.
/// </summary>
public abstract class TrackingKeyStoreContract
{
    protected abstract ITrackingKeyStore CreateStore();

    /// <summary>The store as the next process to start would find it: the same Redis, or a new embedded store.</summary>
    protected abstract ITrackingKeyStore Restart();

    /// <summary>Whether a restarted instance finds the key stored before it.</summary>
    protected abstract bool KeyOutlivesTheProcess { get; }

    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task The_first_proposal_is_stored_and_every_later_one_gets_it()
    {
        var store = CreateStore();
        var first = NewKey();

        Assert.Equal(first, await store.GetOrAddAsync(first, default));
        Assert.Equal(first, await store.GetOrAddAsync(NewKey(), default));
    }

    [Fact]
    public async Task Instances_starting_together_all_get_the_same_key()
    {
        var store = CreateStore();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => store.GetOrAddAsync(NewKey(), default))));

        Assert.Single(results.Select(Convert.ToHexString).Distinct());
    }

    [Fact]
    public async Task A_restart_keeps_the_key_only_where_the_store_outlives_the_process()
    {
        var stored = await CreateStore().GetOrAddAsync(NewKey(), default);
        var proposed = NewKey();

        var afterRestart = await Restart().GetOrAddAsync(proposed, default);

        Assert.Equal(KeyOutlivesTheProcess ? stored : proposed, afterRestart);
    }
}
