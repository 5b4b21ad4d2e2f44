using System.Net;

namespace SendApi.Webhooks.Network;

/// <summary>
/// The check on an endpoint's URL when it is registered. Host names are not resolved here (the
/// answer could change by delivery time anyway); IP literals and <c>localhost</c> are judged at
/// once, and every connection is checked again against the address it really goes to.
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2048;

    /// <summary>Why this URL cannot be an endpoint, or null when it can.</summary>
    public static string? Problem(string url, bool allowPrivateNetworks)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return "must be an absolute http:// or https:// URL.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not contain a user name or password; put a token in the path or query instead.";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        var host = uri.DnsSafeHost;
        var kind = IPAddress.TryParse(host, out var address) ? NonPublicAddresses.Classify(address)
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ? "a loopback address"
            : null;
        return kind is null ? null : NotAllowed(host, kind);
    }

    internal static string NotAllowed(string host, string kind) =>
        $"{host} is {kind}; webhooks may only reach public addresses unless Webhooks__AllowPrivateNetworks=true.";
}
