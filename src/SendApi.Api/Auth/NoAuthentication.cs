using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Auth;

/// <summary>
/// Endpoint metadata: the API key is not even looked at. For <c>/health/live</c>, which must answer
/// while the store (where keys live) is down, whatever headers a prober sends.
/// </summary>
public sealed class NoAuthentication
{
    internal static readonly NoAuthentication Instance = new();

    private NoAuthentication()
    {
    }
}

public static class NoAuthenticationExtensions
{
    /// <summary>Skips API-key authentication for these endpoints (and allows anonymous callers).</summary>
    public static TBuilder WithoutAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoAuthentication.Instance).AllowAnonymous();
}
