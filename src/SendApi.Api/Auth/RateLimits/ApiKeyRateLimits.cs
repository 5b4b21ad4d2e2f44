using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Accounts;
using SendApi.Core.Storage;

namespace SendApi.Api.Auth.RateLimits;

/// <summary>
/// The per-key rate limit, one rule for HTTP requests and SMTP messages: a fixed window
/// (<c>ApiKeys:RateLimitWindow</c>) whose count lives in the store (<see cref="IRateWindowCounter"/>),
/// so every instance on one Redis counts against the same budget. A fixed window is what the
/// IETF RateLimit fields describe exactly (q per w, r left, t to reset); its cost is that a client
/// may use up to twice its quota across one window boundary, which is tolerable for a limit whose
/// purpose is stopping a runaway client, not metering.
/// </summary>
internal sealed partial class ApiKeyRateLimits(
    IRateWindowCounter counter, IOptions<ApiKeysOptions> options, TimeProvider time, IStorageAvailability storage, ILogger<ApiKeyRateLimits> logger)
{
    private readonly TimeSpan _window = options.Value.RateLimitWindowValue;
    private readonly int _default = options.Value.RateLimit;

    /// <summary>The key's limit per window; null when it has none (admin keys, or no default and no own limit).</summary>
    public int? LimitFor(bool isAdmin, int? ownLimit) =>
        isAdmin ? null : ownLimit ?? (_default > 0 ? _default : null);

    /// <summary>
    /// Counts one request of the key and says whether it is within <paramref name="limit"/>. When
    /// the store cannot count, the request is allowed: the limit protects the queue from a runaway
    /// client, and refusing everything during a store outage would protect nothing.
    /// </summary>
    public async ValueTask<RateLimitDecision> TakeAsync(string keyId, int limit, CancellationToken cancellationToken)
    {
        var windowMs = (long)_window.TotalMilliseconds;
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var window = nowMs / windowMs;
        var resetAfter = TimeSpan.FromMilliseconds((window + 1) * windowMs - nowMs);
        long count;
        try
        {
            count = await counter.IncrementAsync(keyId, window, _window, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (!storage.TryNoteOutage(ex))
            {
                LogCountFailed(logger, ex, keyId);
            }

            return new RateLimitDecision(true, limit, limit, resetAfter, _window);
        }

        return new RateLimitDecision(count <= limit, limit, Math.Max(0, limit - count), resetAfter, _window);
    }

    // Log event ids 1030–1039 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1031.
    [LoggerMessage(EventId = 1030, Level = LogLevel.Error, Message = "Counting a request of API key {KeyId} against its rate limit failed; the request was allowed")]
    private static partial void LogCountFailed(ILogger logger, Exception exception, string keyId);
}
