using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.SendGrid;

/// <summary>
/// Errors as SendGrid words them, <c>{errors: [{message, field, help}]}</c>, one entry per field:
/// its Node SDK keeps the body on its ResponseError, and its .NET client reads the first entry's
/// message and field into its exception.
/// </summary>
internal sealed class SendGridErrors(IOptions<CompatOptions> options) : ICompatDialect
{
    public static readonly JsonSerializerOptions Json = CompatJson.Options(JsonNamingPolicy.SnakeCaseLower);

    public string Prefix { get; } = options.Value.SendGridPrefix;

    public static IResult Error(int status, IEnumerable<SendGridError> errors) =>
        TypedResults.Json(new SendGridErrorBody([.. errors]), Json, statusCode: status);

    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Error(StatusCodes.Status400BadRequest, Entries(errors));

    /// <summary>One entry per field and message, each field's first; "$" (the body itself) has no field.</summary>
    public static IEnumerable<SendGridError> Entries(IReadOnlyDictionary<string, string[]> errors) =>
        errors.SelectMany(e => e.Value.Select(message => new SendGridError(message, e.Key == "$" ? null : e.Key))).Distinct();

    public static (int Status, string Message) Of(IntakeResult refusal) => refusal switch
    {
        MessageTooLarge tooLarge => (StatusCodes.Status413PayloadTooLarge, tooLarge.Reason),
        SenderDomainNotVerified refused => (StatusCodes.Status403Forbidden, refused.Reason),
        SenderDomainNotAllowedForKey refused => (StatusCodes.Status403Forbidden, refused.Reason),
        IdempotencyKeyReused reused => (StatusCodes.Status409Conflict, reused.Reason),
        _ => throw new ArgumentException($"{refusal.GetType().Name} is not a refusal.", nameof(refusal)),
    };

    public Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        var errors = problem is HttpValidationProblemDetails { Errors.Count: > 0 } invalid
            ? [.. Entries(invalid.Errors.AsReadOnly())]
            : new List<SendGridError> { new(CompatErrorWriter.MessageOf(problem), null) };
        return context.Response.WriteAsJsonAsync(new SendGridErrorBody(errors), Json, context.RequestAborted);
    }
}
