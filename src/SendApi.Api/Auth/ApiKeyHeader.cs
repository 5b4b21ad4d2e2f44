using Microsoft.AspNetCore.Builder;

namespace SendApi.Api.Auth;

/// <summary>
/// Endpoint metadata: the API key may also come in this request header, as a client library
/// written for another service sends it (Postmark's <c>X-Postmark-Server-Token</c>).
/// <c>Authorization: Bearer</c> is still read when the header is absent.
/// </summary>
public sealed record ApiKeyHeader(string Name);

public static class ApiKeyHeaderExtensions
{
    /// <summary>Reads the API key from <paramref name="name"/> on these endpoints (and still from <c>Authorization: Bearer</c>).</summary>
    public static TBuilder WithApiKeyHeader<TBuilder>(this TBuilder builder, string name)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiKeyHeader(name));
}
