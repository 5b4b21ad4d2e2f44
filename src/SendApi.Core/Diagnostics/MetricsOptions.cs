namespace SendApi.Core.Diagnostics;

/// <summary>
/// The <c>Metrics</c> settings: where Prometheus scrapes, who may, and which destination domains
/// get a label of their own. Validated at start by the host.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary><c>Metrics__Path</c>: where the Prometheus text is served; empty turns the endpoint off (the instruments still count).</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// <c>Metrics__AllowAnonymous</c>: serve the scrape without a key. Off by default, since the
    /// counts name destination domains and volumes; turn it on only where the HTTP listener is
    /// reachable from the monitoring network alone.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// <c>Metrics__Domains__0</c>, …: destination domains that always get their own <c>domain</c>
    /// label, besides those of <c>Delivery__Domains</c> (the domains the operator tuned limits for).
    /// </summary>
    public List<string> Domains { get; set; } = [];

    /// <summary>
    /// <c>Metrics__MaxDomains</c>: how many other destination domains get a label of their own, the
    /// first ones seen since the start; later ones count as <c>other</c>. Bounds the series a
    /// flood of one-off domains could create.
    /// </summary>
    public int MaxDomains { get; set; } = 20;
}
