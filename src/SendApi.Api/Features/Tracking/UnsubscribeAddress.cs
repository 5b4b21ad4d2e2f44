using System.Diagnostics.CodeAnalysis;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// The mailto unsubscribe address of List-Unsubscribe (RFC 2369): <c>unsubscribe+{token}@{return-path domain}</c>,
/// the same token as the one-click URL's. Mail to it on port 25 unsubscribes as the URL does.
/// </summary>
internal static class UnsubscribeAddress
{
    public const string LocalPrefix = "unsubscribe+";

    /// <summary>The token of a local part that has our prefix (not yet verified).</summary>
    public static bool TryGetToken(string localPart, [NotNullWhen(true)] out string? token)
    {
        token = localPart.StartsWith(LocalPrefix, StringComparison.OrdinalIgnoreCase) ? localPart[LocalPrefix.Length..] : null;
        return token is { Length: > 0 };
    }
}
