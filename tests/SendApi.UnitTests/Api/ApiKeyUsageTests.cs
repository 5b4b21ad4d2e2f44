using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Auth;
using SendApi.Core.Accounts;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Api;

/// <summary>"Last used" is noted in memory per request and written at most once a minute per key.</summary>
public sealed class ApiKeyUsageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(T0);
    private readonly CountingStore _store = new();

    [Fact]
    public async Task A_key_used_many_times_within_a_minute_is_written_once_and_again_after_the_minute()
    {
        var key = await _store.AddAsync("busy");
        var usage = new ApiKeyUsage(_store, _time, NullLogger<ApiKeyUsage>.Instance);

        for (var i = 0; i < 100; i++)
        {
            usage.Note(key.Id);
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await usage.FlushAsync(default);
        }

        Assert.Equal(1, _store.Writes);
        Assert.Equal(T0, Assert.Single(await _store.ListAsync(default)).LastUsedAt);

        _time.Advance(TimeSpan.FromSeconds(11));
        usage.Note(key.Id);
        await usage.FlushAsync(default);

        Assert.Equal(2, _store.Writes);
        Assert.Equal(T0.AddSeconds(61), Assert.Single(await _store.ListAsync(default)).LastUsedAt);
    }

    [Fact]
    public async Task Several_keys_noted_together_are_written_in_one_call()
    {
        var keys = new[] { await _store.AddAsync("a"), await _store.AddAsync("b"), await _store.AddAsync("c") };
        var usage = new ApiKeyUsage(_store, _time, NullLogger<ApiKeyUsage>.Instance);

        foreach (var key in keys)
        {
            usage.Note(key.Id);
        }

        await usage.FlushAsync(default);

        Assert.Equal(1, _store.Writes);
        Assert.All(await _store.ListAsync(default), k => Assert.Equal(T0, k.LastUsedAt));
    }

    /// <summary>The embedded store, counting its "last used" writes.</summary>
    private sealed class CountingStore : IApiKeyStore
    {
        private readonly InMemoryApiKeyStore _inner = new();

        public int Writes { get; private set; }

        public async Task<ApiKey> AddAsync(string name)
        {
            var key = new ApiKey(ApiKeySecrets.NewKeyId(), name, "acct", false, T0);
            await _inner.SaveAsync(key, ApiKeySecrets.Generate(), default);
            return key;
        }

        public Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken) => _inner.FindBySecretAsync(secret, cancellationToken);

        public Task SaveAsync(ApiKey key, string secret, CancellationToken cancellationToken) => _inner.SaveAsync(key, secret, cancellationToken);

        public Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken) => _inner.ListAsync(cancellationToken);

        public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => _inner.DeleteAsync(id, cancellationToken);

        public Task NoteUsedAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken)
        {
            Writes++;
            return _inner.NoteUsedAsync(lastUsed, cancellationToken);
        }
    }
}
