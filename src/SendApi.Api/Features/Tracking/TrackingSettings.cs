using Microsoft.Extensions.Options;

namespace SendApi.Api.Features.Tracking;

/// <summary>
/// What a message gets of unsubscribe and tracking, its choice resolved against the server's
/// defaults, and whether this server can give it: the one rule every channel asks (the request
/// validator, SMTP submission, raw MIME) before the intake personalizes.
/// </summary>
internal sealed class TrackingSettings(IOptions<TrackingOptions> options)
{
    private readonly TrackingOptions _options = options.Value;

    /// <summary>The public base URL without a trailing slash; null when Tracking:BaseUrl is not set.</summary>
    public string? BaseUrl => _options.Base;

    public Personalization Resolve(TrackingChoice choice) =>
        new(choice.Unsubscribe ?? _options.Unsubscribe, choice.Opens ?? _options.Opens, choice.Clicks ?? _options.Clicks);

    /// <summary>Why a message asking for <paramref name="choice"/> cannot be taken here; null when it can.</summary>
    public string? Problem(TrackingChoice choice) =>
        Resolve(choice) is { Any: true } wanted && BaseUrl is null
            ? $"{wanted.Fields} needs public links to this service, and Tracking:BaseUrl (env Tracking__BaseUrl) is not set on this server."
            : null;
}
