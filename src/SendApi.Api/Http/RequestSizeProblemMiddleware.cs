using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Http;

/// <summary>
/// Answers an over-long declared body with a 413 problem before anything reads it. Minimal APIs
/// treat Kestrel's "body too large" as a dropped connection and leave an empty 413, which tells a
/// client nothing about the limit.
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
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status413PayloadTooLarge,
                        Title = "The request body is too large.",
                        Detail = $"The body is {length} bytes; this server accepts at most {max} (from Messages:MaxSizeBytes, allowing for base64).",
                    },
                });
                return;
            }

            await next(context);
        });
}
