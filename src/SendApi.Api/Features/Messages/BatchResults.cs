using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// One message's result in the answer of <c>POST /messages/batch</c>, at the message's index:
/// accepted (it has an <c>id</c>) or refused (a problem object, as <c>POST /messages</c> would
/// have answered for it alone, with its errors keyed by JSON path in the batch).
/// </summary>
[JsonDerivedType(typeof(BatchMessageAccepted))]
[JsonDerivedType(typeof(BatchMessageProblem))]
public abstract record BatchItemResult;

/// <summary>Accepted: as the answer of <c>POST /messages</c>.</summary>
/// <param name="Status">"queued", or "suppressed" when every recipient is on the suppression list.</param>
/// <param name="Suppressed">The recipients on the suppression list; absent when there are none.</param>
/// <param name="TemplateWarnings">With a template: the variables that rendered empty; absent without a template.</param>
public sealed record BatchMessageAccepted(string Id, string Status, IReadOnlyList<string>? Suppressed = null, IReadOnlyList<string>? TemplateWarnings = null) : BatchItemResult
{
    internal static BatchMessageAccepted Of(MessageAccepted accepted, IReadOnlyList<string>? templateWarnings = null) =>
        new(accepted.Id, accepted.Status, accepted.Suppressed.Count > 0 ? accepted.Suppressed : null, templateWarnings);
}

/// <summary>Refused, and nothing was stored for it: an RFC 9457 problem whose <c>errors</c> are keyed by JSON path in the batch (<c>[3].to</c>).</summary>
/// <param name="Status">The HTTP status <c>POST /messages</c> would have answered: 400, 403 or 413.</param>
public sealed record BatchMessageProblem(string Type, string Title, int Status, string? Detail = null, IReadOnlyDictionary<string, string[]>? Errors = null) : BatchItemResult
{
    internal static BatchMessageProblem Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new("https://tools.ietf.org/html/rfc9110#section-15.5.1", "The message is invalid.", StatusCodes.Status400BadRequest, Errors: errors);

    internal static BatchMessageProblem TooLarge(long size, long max) =>
        new("https://tools.ietf.org/html/rfc9110#section-15.5.14", "The message is too large.", StatusCodes.Status413PayloadTooLarge,
            new MessageTooLarge(size, max).Reason);

    internal static BatchMessageProblem NotVerified(SenderDomainNotVerified refused) =>
        new("https://tools.ietf.org/html/rfc9110#section-15.5.4", "The From domain is not verified.", StatusCodes.Status403Forbidden, refused.Reason);

    internal static BatchMessageProblem NotAllowedForKey(SenderDomainNotAllowedForKey refused) =>
        new("https://tools.ietf.org/html/rfc9110#section-15.5.4", "This API key may not send from this domain.", StatusCodes.Status403Forbidden, refused.Reason);
}
