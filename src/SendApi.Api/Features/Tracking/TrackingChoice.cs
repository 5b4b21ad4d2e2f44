namespace SendApi.Api.Features.Tracking;

/// <summary>
/// What a message asks for: unsubscribe headers, open tracking, click tracking. Null is "as the
/// server's default says" (<see cref="TrackingOptions"/>), which is off unless an operator turned it on.
/// </summary>
internal sealed record TrackingChoice(bool? Unsubscribe = null, bool? Opens = null, bool? Clicks = null)
{
    public static TrackingChoice Default { get; } = new();
}

/// <summary>What a message gets, its <see cref="TrackingChoice"/> resolved against the defaults.</summary>
internal readonly record struct Personalization(bool Unsubscribe, bool Opens, bool Clicks)
{
    public bool Any => Unsubscribe || Opens || Clicks;

    /// <summary>The request fields that asked for it, for an error that names them.</summary>
    public string Fields => string.Join(", ", new[] { Unsubscribe ? "unsubscribe" : null, Opens ? "track_opens" : null, Clicks ? "track_clicks" : null }.Where(f => f is not null));
}
