using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Auth.RateLimits;

/// <summary>
/// The rate limiter middleware's global limiter, partitioned by API key: each key's requests
/// count in its own window (<see cref="ApiKeyRateLimits"/>); anonymous requests and admin keys
/// are not limited. Written as a <see cref="PartitionedRateLimiter{TResource}"/> of its own rather
/// than per-key <see cref="RateLimiter"/>s because the state lives in the store, not in the
/// process, and because the request is at hand here, so every limited response, not only a 429,
/// carries the RateLimit fields.
/// </summary>
internal sealed class ApiKeyRateLimiter(ApiKeyRateLimits limits) : PartitionedRateLimiter<HttpContext>
{
    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    /// <summary>
    /// The middleware's synchronous first try. A limited key's count is in the store, which is not
    /// asked synchronously: the lease is refused here, and the middleware then awaits
    /// <see cref="AcquireAsyncCore"/>, which counts.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
        LimitOf(resource.User) is null ? WindowLease.Unlimited : WindowLease.NotCountedYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        if (LimitOf(resource.User) is not { } limit)
        {
            return WindowLease.Unlimited;
        }

        var decision = await limits.TakeAsync(resource.User.KeyId(), limit, cancellationToken);
        decision.WriteHeaders(resource.Response.Headers);
        return new WindowLease(decision);
    }

    private int? LimitOf(ClaimsPrincipal user)
    {
        if (user.FindFirst(ApiKeyDefaults.KeyIdClaim) is null)
        {
            return null;
        }

        var own = user.FindFirst(ApiKeyDefaults.RateLimitClaim)?.Value is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : (int?)null;
        return limits.LimitFor(user.IsInRole(ApiKeyDefaults.AdminRole), own);
    }
}

/// <summary>A counted request's lease; it holds nothing to give back (a window's count only grows).</summary>
internal sealed class WindowLease(RateLimitDecision? decision, bool acquired) : RateLimitLease
{
    public static readonly WindowLease Unlimited = new(null, acquired: true);

    public static readonly WindowLease NotCountedYet = new(null, acquired: false);

    public WindowLease(RateLimitDecision decision)
        : this(decision, decision.Allowed)
    {
    }

    public RateLimitDecision? Decision { get; } = decision;

    public override bool IsAcquired { get; } = acquired;

    public override IEnumerable<string> MetadataNames => Decision is { Allowed: false } ? [MetadataName.RetryAfter.Name] : [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == MetadataName.RetryAfter.Name && Decision is { Allowed: false } refused)
        {
            metadata = TimeSpan.FromSeconds(refused.ResetSeconds);
            return true;
        }

        metadata = null;
        return false;
    }
}
