using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendApi.Api.Auth.RateLimits;
using SendApi.Storage.Embedded;

namespace SendApi.UnitTests.Api;

/// <summary>The per-key fixed window: its count, its reset, and the IETF RateLimit fields it gives a client.</summary>
public sealed class ApiKeyRateLimitsTests
{
    // 10:00:45 UTC: 15 s before the minute window ends.
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 10, 0, 45, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(T0);

    private ApiKeyRateLimits Limits(int defaultLimit = 1200, string window = "1m") =>
        new(new InMemoryRateWindowCounter(), Options.Create(new ApiKeysOptions { RateLimit = defaultLimit, RateLimitWindow = window }),
            _time, new EmbeddedAvailability(), NullLogger<ApiKeyRateLimits>.Instance);

    [Fact]
    public async Task The_request_over_the_limit_is_refused_until_the_window_ends_then_the_count_starts_again()
    {
        var limits = Limits();

        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await limits.TakeAsync("key_a", 3, default));
        }

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Allowed));
        Assert.Equal([2L, 1, 0, 0], decisions.Select(d => d.Remaining));
        Assert.Equal(15, decisions[3].ResetSeconds);

        _time.Advance(TimeSpan.FromSeconds(15));
        var next = await limits.TakeAsync("key_a", 3, default);
        Assert.True(next.Allowed);
        Assert.Equal(2, next.Remaining);
        Assert.Equal(60, next.ResetSeconds);
    }

    [Fact]
    public async Task Keys_count_apart()
    {
        var limits = Limits();
        await limits.TakeAsync("key_a", 1, default);

        Assert.False((await limits.TakeAsync("key_a", 1, default)).Allowed);
        Assert.True((await limits.TakeAsync("key_b", 1, default)).Allowed);
    }

    [Fact]
    public void Admin_keys_are_not_limited_others_take_their_own_limit_or_the_default_and_0_means_no_default()
    {
        Assert.Null(Limits().LimitFor(isAdmin: true, ownLimit: 5));
        Assert.Equal(5, Limits().LimitFor(isAdmin: false, ownLimit: 5));
        Assert.Equal(1200, Limits().LimitFor(isAdmin: false, ownLimit: null));
        Assert.Null(Limits(defaultLimit: 0).LimitFor(isAdmin: false, ownLimit: null));
        Assert.Equal(5, Limits(defaultLimit: 0).LimitFor(isAdmin: false, ownLimit: 5));
    }

    [Fact]
    public async Task A_refusal_carries_Retry_After_and_the_draft_RateLimit_fields()
    {
        var limits = Limits(window: "1h");
        await limits.TakeAsync("key_a", 1, default);
        var refused = await limits.TakeAsync("key_a", 1, default);
        IHeaderDictionary headers = new HeaderDictionary();

        refused.WriteHeaders(headers);

        // 10:00:45 in an hour window: 59 min 15 s to go.
        Assert.Equal("\"per-key\";q=1;w=3600", headers["RateLimit-Policy"]);
        Assert.Equal("\"per-key\";r=0;t=3555", headers["RateLimit"]);
        Assert.Equal("3555", headers.RetryAfter);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("1500ms")]
    [InlineData("2d")]
    [InlineData("soon")]
    public void A_window_that_is_not_whole_seconds_from_1s_to_1d_fails_at_start_naming_the_env_var(string window)
    {
        var result = new ApiKeysOptionsValidation().Validate(null, new ApiKeysOptions { RateLimitWindow = window });

        Assert.True(result.Failed);
        Assert.Contains("ApiKeys__RateLimitWindow", result.FailureMessage, StringComparison.Ordinal);
    }
}
