using System.Net;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// Whether an open-pixel fetch looks like a machine's rather than a person's, and why. Such opens
/// are recorded and flagged (<c>machine_open</c>), never dropped: the sender decides what they mean.
/// <list type="bullet">
/// <item>Apple Mail Privacy Protection fetches every remote image of every message through Apple's
/// proxies as mail arrives, opened or not; its requests carry a bare <c>Mozilla/5.0</c> User-Agent
/// (a real Safari or Mail sends a full one) and come from Apple's own network, 17.0.0.0/8.</item>
/// <item>A request with no User-Agent at all is a script or a scanner; no mail client sends none.</item>
/// </list>
/// Gmail's and Yahoo's image proxies fetch when the person opens the mail, so they count as opens.
/// </summary>
internal static class MachineOpens
{
    private const string ApplePrivacyProxyAgent = "Mozilla/5.0";

    private static readonly IPNetwork AppleNetwork = IPNetwork.Parse("17.0.0.0/8");

    /// <summary>Why the fetch looks like a machine's; null when it looks like a person's.</summary>
    public static string? Reason(string? userAgent, IPAddress? address)
    {
        var agent = userAgent?.Trim();
        if (string.IsNullOrEmpty(agent))
        {
            return "machine open: no User-Agent";
        }

        if (agent == ApplePrivacyProxyAgent)
        {
            return "machine open: Apple Mail Privacy Protection (its proxy's bare 'Mozilla/5.0' User-Agent)";
        }

        if (address is not null && AppleNetwork.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address))
        {
            return "machine open: Apple Mail Privacy Protection (from Apple's network 17.0.0.0/8)";
        }

        return null;
    }
}
