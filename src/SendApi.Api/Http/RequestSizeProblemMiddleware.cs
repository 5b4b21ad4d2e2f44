using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Http;

/// <summary>
/// Answers an over-long declared body with a 413 problem before anything reads it. Minimal APIs
/// treat Kestrel's "body too large" as a dropped connection and leave an empty 413, which tells a
/// client nothing about the limit; a body without a declared length (chunked) meets the limit only
/// while it is read, and its empty 413 gets the same problem from <see cref="StatusCodeProblems"/>.
/// </summary>
public static class RequestSizeProblemMiddleware
{
    public static IApplicationBuilder UseRequestSizeProblems(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            if (context.Request.ContentLength is { } length && limit is { } max && length > max)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                // The body is not read; closing the connection spares draining megabytes of it.
                context.Response.Headers.Connection = "close";
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = TooLarge(context),
                });
                return;
            }

            await next(context);
        });

    /// <summary>The 413 problem: the body's declared size when there is one, and the limit.</summary>
    public static ProblemDetails TooLarge(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        var body = context.Request.ContentLength is { } length ? $"The body is {length} bytes" : "The body is longer than allowed";
        return new ProblemDetails
        {
            Status = StatusCodes.Status413PayloadTooLarge,
            Title = "The request body is too large.",
            Detail = limit is { } max
                ? $"{body}; this server accepts at most {max} (from Messages:MaxSizeBytes, allowing for base64)."
                : $"{body} (Messages:MaxSizeBytes).",
        };
    }
}
