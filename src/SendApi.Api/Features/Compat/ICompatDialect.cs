using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SendApi.Api.Features.Compat;

/// <summary>One provider's way of saying what went wrong, for the errors SendApi's own pipeline answers on its routes.</summary>
internal interface ICompatDialect
{
    /// <summary>The path prefix its routes are under (<see cref="CompatOptions"/>).</summary>
    string Prefix { get; }

    /// <summary>Writes <paramref name="problem"/> (a 401, a 429, a 404 of an unknown route, …) as the provider's error body.</summary>
    Task WriteAsync(HttpContext context, ProblemDetails problem);
}
