using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Http;

/// <summary>
/// Gives the framework's empty error responses a problem+json body: 404 for an unknown route, 405
/// for a known route with another method, 413 for a body found too long while it was read (a
/// chunked one: Kestrel stops it and leaves the response empty), 415 for a body that is not JSON.
/// A response that already has a body (an API problem, a page of the Hangfire dashboard or
/// Swagger UI) is left as it is.
/// </summary>
public static class StatusCodeProblems
{
    public static IApplicationBuilder UseStatusCodeProblems(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var problem = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Title = "Not found.",
                    Detail = $"Nothing is at {http.Request.Method} {http.Request.Path}; the API is described at /swagger.",
                },
                StatusCodes.Status405MethodNotAllowed => new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Title = "Method not allowed.",
                    Detail = $"{http.Request.Path} does not take {http.Request.Method}; it takes {http.Response.Headers.Allow}.",
                },
                StatusCodes.Status413PayloadTooLarge => RequestSizeProblemMiddleware.TooLarge(http),
                StatusCodes.Status415UnsupportedMediaType => BadRequestExceptionHandler.UnsupportedMediaType(http),
                _ => new Microsoft.AspNetCore.Mvc.ProblemDetails(),
            };
            problem.Status = http.Response.StatusCode;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = problem,
            });
        });
}
