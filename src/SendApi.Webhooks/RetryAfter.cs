using System.Net.Http.Headers;

namespace SendApi.Webhooks;

/// <summary>Reads an endpoint's <c>Retry-After</c> (RFC 9110 §10.2.3): delay-seconds or an HTTP date.</summary>
internal static class RetryAfter
{
    /// <returns>The delay it asks for, never negative and at most <paramref name="max"/>; null when absent or unreadable.</returns>
    public static TimeSpan? Parse(string? value, DateTimeOffset now, TimeSpan max)
    {
        if (string.IsNullOrWhiteSpace(value) || !RetryConditionHeaderValue.TryParse(value.Trim(), out var parsed))
        {
            return null;
        }

        var delay = parsed.Delta ?? (parsed.Date is { } date ? date - now : (TimeSpan?)null);
        return delay is null ? null : delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }
}
