using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SendApi.Api.Features.Compat;

/// <summary>
/// On a provider's routes, every error SendApi's pipeline answers before or around a handler (no
/// or a wrong API key, a scope refusal, the rate limit, a body over the size limit, an unknown
/// route, the store unreachable) is written in that provider's error shape: its SDK reads its own
/// shape and would otherwise show a generic failure. Registered ahead of the problem+json writers,
/// it takes only requests under a provider's prefix.
/// </summary>
internal sealed class CompatErrorWriter(IEnumerable<ICompatDialect> dialects) : IProblemDetailsWriter
{
    private readonly ICompatDialect[] _dialects = [.. dialects];

    public bool CanWrite(ProblemDetailsContext context) => DialectOf(context.HttpContext.Request.Path) is not null;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        return new ValueTask(DialectOf(context.HttpContext.Request.Path)!.WriteAsync(context.HttpContext, problem));
    }

    private ICompatDialect? DialectOf(PathString path) =>
        _dialects.FirstOrDefault(d => path.StartsWithSegments(d.Prefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>The problem's words: its detail (or title), and its field errors when it has them.</summary>
    public static string MessageOf(ProblemDetails problem) =>
        problem is HttpValidationProblemDetails { Errors.Count: > 0 } invalid
            ? CompatErrors.Describe(invalid.Errors)
            : problem.Detail ?? problem.Title ?? "The request failed.";
}
