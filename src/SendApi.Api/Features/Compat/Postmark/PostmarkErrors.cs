using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>
/// Errors as Postmark words them, <c>{ErrorCode, Message}</c>. Its SDK picks the error type by the
/// HTTP status (401 InvalidAPIKeyError, 422 ApiInputError, 429 RateLimitExceededError, …) and, for
/// 422, by the code (300 InvalidEmailRequestError, 406 InactiveRecipientsError), so input errors
/// are 422 as in Postmark, whatever status our pipeline chose.
/// </summary>
internal sealed class PostmarkErrors(IOptions<CompatOptions> options) : ICompatDialect
{
    /// <summary>Postmark's codes for what SendApi can refuse.</summary>
    public const int InvalidToken = 10;
    public const int InvalidEmailRequest = 300;
    public const int SenderSignatureNotFound = 400;
    public const int InvalidJson = 402;
    public const int IncompatibleJson = 403;
    public const int InactiveRecipient = 406;
    public const int JsonRequired = 409;
    public const int TooManyBatchMessages = 410;

    /// <summary>Postmark's "template not found"; also a template of ours that fails to render, for which Postmark has no code.</summary>
    public const int TemplateNotFound = 1101;

    public static readonly System.Text.Json.JsonSerializerOptions Json = CompatJson.Options(naming: null, caseInsensitive: true);

    public string Prefix { get; } = options.Value.PostmarkPrefix;

    public static IResult Error(int code, string message, int status = StatusCodes.Status422UnprocessableEntity) =>
        TypedResults.Json(new PostmarkResponse { ErrorCode = code, Message = message }, Json, statusCode: status);

    /// <summary>A refusal of the intake as Postmark's code and message (a batch item carries them; a single send answers them as 422).</summary>
    public static (int Code, string Message) Of(IntakeResult refusal) => refusal switch
    {
        MessageTooLarge tooLarge => (InvalidEmailRequest, tooLarge.Reason),
        SenderDomainNotVerified refused => (SenderSignatureNotFound, refused.Reason),
        SenderDomainNotAllowedForKey refused => (SenderSignatureNotFound, refused.Reason),
        IdempotencyKeyReused reused => (InvalidEmailRequest, reused.Reason),
        _ => throw new ArgumentException($"{refusal.GetType().Name} is not a refusal.", nameof(refusal)),
    };

    public Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        var (status, code) = (problem.Status ?? StatusCodes.Status500InternalServerError) switch
        {
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => (StatusCodes.Status401Unauthorized, InvalidToken),
            StatusCodes.Status400BadRequest or StatusCodes.Status409Conflict or StatusCodes.Status413PayloadTooLarge => (StatusCodes.Status422UnprocessableEntity, InvalidEmailRequest),
            StatusCodes.Status415UnsupportedMediaType => (StatusCodes.Status422UnprocessableEntity, JsonRequired),
            // Postmark has no code for these; the status says it, and a code that is not 0 says "not sent".
            var other => (other, other),
        };
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new PostmarkResponse { ErrorCode = code, Message = CompatErrorWriter.MessageOf(problem) }, Json, context.RequestAborted);
    }
}
