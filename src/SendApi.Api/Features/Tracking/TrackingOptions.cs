namespace SendApi.Api.Features.Tracking;

/// <summary>
/// Settings under "Tracking" (env <c>Tracking__*</c>): where the unsubscribe, open and click links
/// point, what signs them, and what a message that does not say gets.
/// </summary>
public sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary>
    /// The public base URL of this service as recipients reach it (e.g. <c>https://mail.acme.com</c>,
    /// env <c>Tracking__BaseUrl</c>): links become <c>{BaseUrl}/u/…</c>, <c>/o/…</c> and <c>/c/…</c>.
    /// Unset, a message that asks for unsubscribe or tracking is refused (400 / SMTP 550) naming this setting.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// The key that signs the links (at least 32 characters, env <c>Tracking__SigningKey</c>). Unset, a
    /// random one is generated and kept in the store: on Redis for good; embedded, for the process's life.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The default of <c>unsubscribe</c> for messages that do not say (env <c>Tracking__Unsubscribe</c>).</summary>
    public bool Unsubscribe { get; set; }

    /// <summary>The default of <c>track_opens</c> for messages that do not say (env <c>Tracking__Opens</c>).</summary>
    public bool Opens { get; set; }

    /// <summary>The default of <c>track_clicks</c> for messages that do not say (env <c>Tracking__Clicks</c>).</summary>
    public bool Clicks { get; set; }

    /// <summary>The base URL without a trailing slash, or null when unset.</summary>
    internal string? Base => string.IsNullOrWhiteSpace(BaseUrl) ? null : BaseUrl.TrimEnd('/');

    internal static bool IsValidBaseUrl(string? url) =>
        string.IsNullOrWhiteSpace(url)
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo));
}
