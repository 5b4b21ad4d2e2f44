using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Resend;

/// <summary>
/// Errors as Resend words them, <c>{statusCode, name, message}</c>, which its SDK hands back as
/// <c>error</c> (it reads the body of any non-2xx answer as that object).
/// </summary>
internal sealed class ResendErrors(IOptions<CompatOptions> options) : ICompatDialect
{
    public static readonly JsonSerializerOptions Json = CompatJson.Options(JsonNamingPolicy.SnakeCaseLower);

    public string Prefix { get; } = options.Value.ResendPrefix;

    public static IResult Error(int status, string name, string message) =>
        TypedResults.Json(new ResendError(status, name, message), Json, statusCode: status);

    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Error(StatusCodes.Status422UnprocessableEntity, "validation_error", CompatErrors.Describe(errors));

    /// <summary>A refusal of the intake, as the status and name Resend gives the like.</summary>
    public static (int Status, string Name, string Message) Of(IntakeResult refusal) => refusal switch
    {
        MessageTooLarge tooLarge => (StatusCodes.Status422UnprocessableEntity, "validation_error", tooLarge.Reason),
        SenderDomainNotVerified refused => (StatusCodes.Status403Forbidden, "validation_error", refused.Reason),
        SenderDomainNotAllowedForKey refused => (StatusCodes.Status403Forbidden, "restricted_api_key", refused.Reason),
        IdempotencyKeyReused reused => (StatusCodes.Status409Conflict, "invalid_idempotent_request", reused.Reason),
        _ => throw new ArgumentException($"{refusal.GetType().Name} is not a refusal.", nameof(refusal)),
    };

    public Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        var name = status switch
        {
            StatusCodes.Status401Unauthorized => context.Request.Headers.Authorization.Count == 0 ? "missing_api_key" : "invalid_api_key",
            StatusCodes.Status403Forbidden => "restricted_api_key",
            StatusCodes.Status404NotFound => "not_found",
            StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
            StatusCodes.Status409Conflict => "invalid_idempotent_request",
            StatusCodes.Status429TooManyRequests => "rate_limit_exceeded",
            >= 500 => "application_error",
            _ => "validation_error",
        };
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ResendError(status, name, CompatErrorWriter.MessageOf(problem)), Json, context.RequestAborted);
    }
}
