using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace SendApi.Api.Http;

/// <summary>
/// Writes problem details whatever the request's Accept header says. ASP.NET's own writer declines
/// when a client asks only for, say, text/html, and <see cref="IProblemDetailsService.WriteAsync"/>
/// then throws: a browser opening an API URL without a key got a 500 instead of a 401. The API
/// speaks one error format, so this writer, registered after the default one, takes what it declines.
/// </summary>
internal sealed class ProblemJsonFallbackWriter(IOptions<HttpJsonOptions> json, IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;

        // The same defaults (type and title per status) the framework's writer applies.
        var defaults = TypedResults.Problem(statusCode: problem.Status).ProblemDetails;
        problem.Type ??= defaults.Type;
        problem.Title ??= defaults.Title;
        var serializer = json.Value.SerializerOptions;
        problem.Extensions.TryAdd(serializer.PropertyNamingPolicy?.ConvertName("traceId") ?? "traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        options.Value.CustomizeProblemDetails?.Invoke(context);

        return new ValueTask(http.Response.WriteAsJsonAsync(
            problem,
            serializer.GetTypeInfo(problem.GetType()),
            contentType: "application/problem+json",
            http.RequestAborted));
    }
}
