using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Compat.Resend;

/// <summary>
/// Resend's sending API under <c>Compat:ResendPrefix</c>: an application using Resend's SDK sets
/// its base URL (<c>RESEND_BASE_URL</c>) and key and keeps its code. Every route maps onto our
/// own: <c>POST /emails</c> is <c>POST /messages</c>, <c>POST /emails/batch</c> is
/// <c>POST /messages/batch</c>, <c>GET /emails/{id}</c> and <c>POST /emails/{id}/cancel</c> are
/// ours with Resend's answers. Authentication, scopes, rate limits and idempotency are ours.
/// </summary>
internal static class ResendApi
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapResendApi(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapGroup(prefix).RequireAuthorization().ExcludeFromDescription().WithMetadata(new CompatApi("resend"));
        // Accepts: the body is read by the handler; the metadata says what it reads (the HTTP fuzz test sends it).
        group.MapPost("/emails", SendAsync).Accepts<ResendEmail>("application/json").AllowSendScope();
        group.MapPost("/emails/batch", SendBatchAsync).Accepts<List<ResendEmail>>("application/json").AllowSendScope();
        group.MapGet("/emails/{id}", GetAsync).AllowSendScope();
        group.MapPost("/emails/{id}/cancel", CancelAsync);
        return group;
    }

    private static async Task<IResult> SendAsync(HttpContext context, ClaimsPrincipal user, CompatSender sender, CancellationToken cancellationToken)
    {
        if (InvalidKey(context) is { } invalidKey)
        {
            return invalidKey;
        }

        var body = await CompatJson.ReadAsync<ResendEmail>(context, ResendErrors.Json);
        if (body.Value is not { } email)
        {
            return Unreadable(body);
        }

        var (request, errors) = ResendTranslation.Translate(email);
        if (request is null)
        {
            return ResendErrors.Invalid(errors);
        }

        var route = $"POST {context.Request.PathBase}{context.Request.Path}";
        return await sender.SendAsync(request, route, Key(context), user, cancellationToken) switch
        {
            CompatInvalid invalid => ResendErrors.Invalid(CompatErrors.Renamed(invalid.Errors, ResendTranslation.FieldName)),
            CompatDecided { Result: MessageAccepted accepted } => Created(context, accepted.Replayed, new ResendCreated(accepted.Id)),
            CompatDecided { Result: var refusal } => Refused(refusal),
            _ => throw new InvalidOperationException("Unknown outcome."),
        };
    }

    /// <summary>
    /// Resend's batch: <c>x-batch-validation: strict</c> (its SDK's default) sends nothing when
    /// any email is invalid; <c>permissive</c> sends the valid ones and lists the others in
    /// <c>errors</c> by index. A refusal of the intake (the From domain, the size) is listed in
    /// <c>errors</c> either way: by then the others are accepted. A template that is missing is an
    /// invalid email like any other.
    /// </summary>
    private static async Task<IResult> SendBatchAsync(
        HttpContext context, ClaimsPrincipal user, CompatSender sender, Microsoft.Extensions.Options.IOptions<MessagesOptions> options, CancellationToken cancellationToken)
    {
        if (InvalidKey(context) is { } invalidKey)
        {
            return invalidKey;
        }

        var permissive = string.Equals(context.Request.Headers["x-batch-validation"], "permissive", StringComparison.OrdinalIgnoreCase);
        var body = await CompatJson.ReadAsync<List<ResendEmail?>>(context, ResendErrors.Json);
        if (body.Value is not { } emails)
        {
            return Unreadable(body);
        }

        var max = options.Value.MaxBatchSize;
        if (emails.Count == 0 || emails.Count > max)
        {
            return ResendErrors.Invalid(new Dictionary<string, string[]> { ["$"] = [$"A batch holds 1 to {max} emails (Messages:MaxBatchSize); this one has {emails.Count}."] });
        }

        var requests = new SendMessageRequest?[emails.Count];
        var problems = new Dictionary<int, Dictionary<string, string[]>>();
        for (var i = 0; i < emails.Count; i++)
        {
            if (emails[i] is not { } email)
            {
                problems[i] = new Dictionary<string, string[]> { [$"[{i}]"] = ["must be an email object."] };
                continue;
            }

            var (request, errors) = ResendTranslation.Translate(email);
            if (request is null)
            {
                problems[i] = CompatErrors.Renamed(errors, k => k, $"[{i}]");
                continue;
            }

            requests[i] = request;
        }

        // Strict: an email that breaks a rule (its fields, or its template: missing or failing to
        // render) sends nothing. Every email is composed first so that the answer names them all.
        var batch = await sender.PrepareBatchAsync(requests, user, cancellationToken);
        var invalidEmails = batch.Refused.Where(r => r.Outcome is CompatInvalid).ToList();
        if ((problems.Count > 0 || invalidEmails.Count > 0) && !permissive)
        {
            foreach (var (i, outcome) in invalidEmails)
            {
                problems[i] = CompatErrors.Renamed(((CompatInvalid)outcome).Errors, ResendTranslation.FieldName, $"[{i}]");
            }

            return ResendErrors.Invalid(problems.OrderBy(p => p.Key).SelectMany(p => p.Value).ToDictionary());
        }

        var route = $"POST {context.Request.PathBase}{context.Request.Path}";
        var (reused, outcomes, replayed) = await sender.SendBatchAsync(batch, route, Key(context), user, cancellationToken);
        if (reused is not null)
        {
            return Refused(reused);
        }

        var data = new List<ResendCreated>();
        var batchErrors = problems.Select(p => new ResendBatchError(p.Key, CompatErrors.Describe(p.Value))).ToList();
        for (var i = 0; i < outcomes.Count; i++)
        {
            switch (outcomes[i])
            {
                case CompatDecided { Result: MessageAccepted accepted }:
                    data.Add(new ResendCreated(accepted.Id));
                    break;
                case CompatDecided { Result: var refusal }:
                    batchErrors.Add(new ResendBatchError(i, ResendErrors.Of(refusal).Message));
                    break;
                case CompatInvalid invalid:
                    batchErrors.Add(new ResendBatchError(i, CompatErrors.Describe(CompatErrors.Renamed(invalid.Errors, ResendTranslation.FieldName, $"[{i}]"))));
                    break;
            }
        }

        return Created(context, replayed, new ResendBatchCreated(data, permissive || batchErrors.Count > 0 ? [.. batchErrors.OrderBy(e => e.Index)] : null));
    }

    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, IMessageStore store, TimeProvider time, CancellationToken cancellationToken) =>
        (await MessagesApi.GetAsync(id, user, store, cancellationToken)).Result switch
        {
            Ok<MessageDetails> found => TypedResults.Json(Details(found.Value!, time.GetUtcNow()), ResendErrors.Json),
            _ => NotFound(id),
        };

    private static async Task<IResult> CancelAsync(
        string id, ClaimsPrincipal user, MessageCancellation cancellation, IMessageStore store, CancellationToken cancellationToken) =>
        (await MessagesApi.CancelAsync(id, user, cancellation, store, cancellationToken)).Result switch
        {
            Ok<MessageDetails> => TypedResults.Json(new ResendCanceled("email", id), ResendErrors.Json),
            ProblemHttpResult { StatusCode: StatusCodes.Status409Conflict } conflict =>
                ResendErrors.Error(StatusCodes.Status422UnprocessableEntity, "validation_error", conflict.ProblemDetails.Detail ?? "The email cannot be canceled."),
            _ => NotFound(id),
        };

    /// <summary>Our message as Resend shows an email. SendApi keeps no copy of the bodies apart from the MIME it delivers, so html and text are null.</summary>
    private static ResendEmailDetails Details(MessageDetails message, DateTimeOffset now) =>
        new("email",
            message.Id,
            message.From,
            Addresses(message, "to") ?? [],
            Addresses(message, "cc"),
            Addresses(message, "bcc"),
            ReplyTo: null,
            message.Subject ?? "",
            Html: null,
            Text: null,
            message.MessageId,
            message.CreatedAt,
            message.ScheduledAt,
            LastEvent(message, now),
            [.. message.Metadata.Select(m => new ResendTagValue(m.Key, m.Value))]);

    private static List<string>? Addresses(MessageDetails message, string type) =>
        message.Recipients.Where(r => r.Type == type).Select(r => r.Address).ToList() is { Count: > 0 } list ? list : null;

    /// <summary>Our status in Resend's words: a queued message with a time ahead is "scheduled", a deferred one "delivery_delayed".</summary>
    private static string LastEvent(MessageDetails message, DateTimeOffset now) => message.Status switch
    {
        MessageStatus.Queued when message.ScheduledAt > now => "scheduled",
        MessageStatus.Queued or MessageStatus.Sending => "queued",
        MessageStatus.Deferred => "delivery_delayed",
        MessageStatus.PartiallyDelivered => "delivered",
        var status => status,
    };

    private static IResult Created(HttpContext context, bool replayed, object body)
    {
        IdempotencyHeaders.MarkReplayed(context, replayed);
        return TypedResults.Json(body, ResendErrors.Json);
    }

    private static IResult Refused(IntakeResult refusal)
    {
        var (status, name, message) = ResendErrors.Of(refusal);
        return ResendErrors.Error(status, name, message);
    }

    private static IResult NotFound(string id) =>
        ResendErrors.Error(StatusCodes.Status404NotFound, "not_found", $"Email '{id}' not found for this API key.");

    private static IResult Unreadable<T>(CompatBody<T> body)
        where T : class =>
        body switch
        {
            { NotJson: true } => ResendErrors.Error(StatusCodes.Status422UnprocessableEntity, "validation_error", "The body must be JSON ('Content-Type: application/json')."),
            { FieldErrors: { } errors } => ResendErrors.Invalid(errors),
            _ => ResendErrors.Error(StatusCodes.Status422UnprocessableEntity, "validation_error", $"The body is not valid JSON: {body.SyntaxError}"),
        };

    private static string? Key(HttpContext context) => context.Request.Headers[IdempotencyHeader].ToString() is { Length: > 0 } key ? key : null;

    private static IResult? InvalidKey(HttpContext context) =>
        Key(context) is { } key && !MessageRules.IsValidIdempotencyKey(key)
            ? ResendErrors.Error(StatusCodes.Status400BadRequest, "invalid_idempotency_key", $"{MessageRules.IdempotencyKeyRule}.")
            : null;
}
