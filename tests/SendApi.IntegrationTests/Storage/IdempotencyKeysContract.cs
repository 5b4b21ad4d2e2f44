using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Storage;

/// <summary>
/// What both storage modes promise about Idempotency-Key bindings: a key stands for the first
/// request it came with, per account, for <see cref="MessageLifetimes.IdempotencyWindow"/> and no
/// longer; of parallel requests with one key exactly one binds it. The embedded store keeps the
/// window on the injected clock, Redis in the binding's time to live, so each store says how its
/// window passes.
/// </summary>
public abstract class IdempotencyKeysContract
{
    protected abstract IIdempotencyKeys CreateKeys();

    /// <summary>Brings the binding of <paramref name="key"/> to the last seconds of its window.</summary>
    protected abstract Task LetAllButTheLastSecondsOfTheWindowPassAsync(string accountId, string key);

    /// <summary>Lets the rest of the binding's window pass.</summary>
    protected abstract Task LetTheWindowEndAsync(string accountId, string key);

    private static string NewKey() => $"k-{Guid.NewGuid():N}";

    [Fact]
    public async Task The_first_use_binds_the_key_and_the_same_request_again_is_a_retry()
    {
        var keys = CreateKeys();
        var key = NewKey();

        Assert.Equal(IdempotencyBinding.New, await keys.BindAsync("acct", key, "fp-1", default));
        Assert.Equal(IdempotencyBinding.SameRequest, await keys.BindAsync("acct", key, "fp-1", default));
        Assert.Equal(IdempotencyBinding.SameRequest, await keys.BindAsync("acct", key, "fp-1", default));
    }

    [Fact]
    public async Task A_key_used_for_another_request_is_reported_and_keeps_standing_for_the_first()
    {
        var keys = CreateKeys();
        var key = NewKey();
        await keys.BindAsync("acct", key, "fp-1", default);

        Assert.Equal(IdempotencyBinding.OtherRequest, await keys.BindAsync("acct", key, "fp-2", default));
        Assert.Equal(IdempotencyBinding.SameRequest, await keys.BindAsync("acct", key, "fp-1", default));
    }

    [Fact]
    public async Task Each_account_binds_its_keys_on_its_own()
    {
        var keys = CreateKeys();
        var key = NewKey();

        Assert.Equal(IdempotencyBinding.New, await keys.BindAsync("acct-a", key, "fp-a", default));
        Assert.Equal(IdempotencyBinding.New, await keys.BindAsync("acct-b", key, "fp-b", default));
        Assert.Equal(IdempotencyBinding.SameRequest, await keys.BindAsync("acct-b", key, "fp-b", default));
        Assert.Equal(IdempotencyBinding.OtherRequest, await keys.BindAsync("acct-a", key, "fp-b", default));
    }

    [Fact]
    public async Task Of_parallel_requests_with_one_key_exactly_one_binds_it()
    {
        var keys = CreateKeys();
        var key = NewKey();

        var bindings = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => keys.BindAsync("acct", key, "fp", default))));

        Assert.Single(bindings, b => b == IdempotencyBinding.New);
        Assert.All(bindings.Where(b => b != IdempotencyBinding.New), b => Assert.Equal(IdempotencyBinding.SameRequest, b));
    }

    [Fact]
    public async Task A_binding_holds_for_the_whole_window_and_the_key_is_free_after_it()
    {
        var keys = CreateKeys();
        var key = NewKey();
        await keys.BindAsync("acct", key, "fp-1", default);

        await LetAllButTheLastSecondsOfTheWindowPassAsync("acct", key);
        Assert.Equal(IdempotencyBinding.OtherRequest, await keys.BindAsync("acct", key, "fp-2", default));

        await LetTheWindowEndAsync("acct", key);
        Assert.Equal(IdempotencyBinding.New, await keys.BindAsync("acct", key, "fp-2", default));
        Assert.Equal(IdempotencyBinding.SameRequest, await keys.BindAsync("acct", key, "fp-2", default));
    }
}
