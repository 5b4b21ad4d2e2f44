using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Auth.RateLimits;

/// <summary>One counted request of a key: whether it is within the key's limit, and what the client may know of the window.</summary>
/// <param name="Limit">Requests allowed per window.</param>
/// <param name="Remaining">Requests left in this window after this one.</param>
/// <param name="ResetAfter">Until the window ends and the count starts again.</param>
internal sealed record RateLimitDecision(bool Allowed, int Limit, long Remaining, TimeSpan ResetAfter, TimeSpan Window)
{
    /// <summary>The policy's name in the headers: one policy, each key's own quota.</summary>
    public const string PolicyName = "per-key";

    /// <summary>Whole seconds until the window resets, at least 1 (a client that waits 0 s is refused again).</summary>
    public long ResetSeconds => Math.Max(1, (long)Math.Ceiling(ResetAfter.TotalSeconds));

    /// <summary>
    /// The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers): <c>RateLimit-Policy</c>
    /// names the quota (q requests per w seconds), <c>RateLimit</c> what is left of it (r) and
    /// when it resets (t seconds); on a refusal <c>Retry-After</c> as well.
    /// </summary>
    public void WriteHeaders(IHeaderDictionary headers)
    {
        var w = ((long)Window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = $"\"{PolicyName}\";q={Limit.ToString(CultureInfo.InvariantCulture)};w={w}";
        headers["RateLimit"] = $"\"{PolicyName}\";r={Remaining.ToString(CultureInfo.InvariantCulture)};t={ResetSeconds.ToString(CultureInfo.InvariantCulture)}";
        if (!Allowed)
        {
            headers.RetryAfter = ResetSeconds.ToString(CultureInfo.InvariantCulture);
        }
    }
}
