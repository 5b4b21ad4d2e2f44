using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Storage;

/// <summary>What both storage modes promise about the return-path signing state: the first proposal stored wins, for everyone.</summary>
public abstract class ReturnPathKeyStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    protected abstract IReturnPathKeyStore CreateStore();

    [Fact]
    public async Task The_first_proposal_is_stored_and_every_later_one_gets_it()
    {
        var store = CreateStore();
        var first = new ReturnPathSecret(ReturnPathKey.Generate(), T0);

        var stored = await store.GetOrAddAsync(first, default);
        var later = await store.GetOrAddAsync(new ReturnPathSecret(ReturnPathKey.Generate(), T0.AddDays(1)), default);

        Assert.Equal(first.GeneratedKey.Bytes.ToArray(), stored.GeneratedKey.Bytes.ToArray());
        Assert.Equal(T0, stored.SignedSince);
        Assert.Equal(first.GeneratedKey.Bytes.ToArray(), later.GeneratedKey.Bytes.ToArray());
        Assert.Equal(T0, later.SignedSince);
    }

    [Fact]
    public async Task Instances_starting_together_all_get_the_same_state()
    {
        var store = CreateStore();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.GetOrAddAsync(new ReturnPathSecret(ReturnPathKey.Generate(), T0.AddSeconds(i)), default))));

        Assert.Single(results.Select(r => Convert.ToHexString(r.GeneratedKey.Bytes)).Distinct());
        Assert.Single(results.Select(r => r.SignedSince).Distinct());
    }
}
