using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.Postmark;

/// <summary>
/// Postmark's sending API under <c>Compat:PostmarkPrefix</c>: <c>POST /email</c> and
/// <c>/email/withTemplate</c> are our <c>POST /messages</c> (the latter with a template),
/// <c>POST /email/batch</c> and <c>/email/batchWithTemplates</c> our <c>POST /messages/batch</c>.
/// The API key comes in <c>X-Postmark-Server-Token</c>, as Postmark's SDKs send their server token.
/// </summary>
internal static class PostmarkApi
{
    public const string TokenHeader = "X-Postmark-Server-Token";

    public static RouteGroupBuilder MapPostmarkApi(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapGroup(prefix).RequireAuthorization().WithApiKeyHeader(TokenHeader).ExcludeFromDescription().WithMetadata(new CompatApi("postmark"));
        group.MapPost("/email", (HttpContext context, ClaimsPrincipal user, CompatSender sender, TimeProvider time, CancellationToken cancellationToken) =>
            SendAsync(context, user, sender, time, templated: false, cancellationToken)).Accepts<PostmarkEmail>("application/json").AllowSendScope();
        group.MapPost("/email/withTemplate", (HttpContext context, ClaimsPrincipal user, CompatSender sender, TimeProvider time, CancellationToken cancellationToken) =>
            SendAsync(context, user, sender, time, templated: true, cancellationToken)).Accepts<PostmarkEmail>("application/json").AllowSendScope();
        group.MapPost("/email/batch", SendBatchAsync).Accepts<List<PostmarkEmail>>("application/json").AllowSendScope();
        group.MapPost("/email/batchWithTemplates", SendTemplatedBatchAsync).Accepts<PostmarkTemplatedBatch>("application/json").AllowSendScope();
        return group;
    }

    private static async Task<IResult> SendAsync(HttpContext context, ClaimsPrincipal user, CompatSender sender, TimeProvider time, bool templated, CancellationToken cancellationToken)
    {
        var body = await CompatJson.ReadAsync<PostmarkEmail>(context, PostmarkErrors.Json);
        if (body.Value is not { } email)
        {
            return Unreadable(body);
        }

        var (request, errors) = PostmarkTranslation.Translate(email, templated);
        if (request is null)
        {
            return PostmarkErrors.Error(PostmarkErrors.InvalidEmailRequest, CompatErrors.Describe(errors));
        }

        if (Key(context) is { } key && !MessageRules.IsValidIdempotencyKey(key))
        {
            return PostmarkErrors.Error(PostmarkErrors.InvalidEmailRequest, $"{MessageRules.IdempotencyKeyRule}.");
        }

        var route = $"POST {context.Request.PathBase}{context.Request.Path}";
        var response = Response(email, request, await sender.SendAsync(request, route, Key(context), user, cancellationToken), context, time.GetUtcNow());
        return response.ErrorCode == 0
            ? TypedResults.Json(response, PostmarkErrors.Json)
            : PostmarkErrors.Error(response.ErrorCode, response.Message);
    }

    /// <summary>Postmark's batch: a JSON array of messages; the answer is 200 with one result per message, each sent or with its ErrorCode.</summary>
    private static async Task<IResult> SendBatchAsync(
        HttpContext context, ClaimsPrincipal user, CompatSender sender, IOptions<MessagesOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await CompatJson.ReadAsync<List<PostmarkEmail?>>(context, PostmarkErrors.Json);
        return body.Value is { } emails
            ? await SendEachAsync(emails, templated: false, context, user, sender, options.Value, time, cancellationToken)
            : Unreadable(body);
    }

    /// <summary>Postmark's templated batch: <c>{Messages: [...]}</c>, each as <c>/email/withTemplate</c> takes it; answered as <c>/email/batch</c>.</summary>
    private static async Task<IResult> SendTemplatedBatchAsync(
        HttpContext context, ClaimsPrincipal user, CompatSender sender, IOptions<MessagesOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await CompatJson.ReadAsync<PostmarkTemplatedBatch>(context, PostmarkErrors.Json);
        return body.Value switch
        {
            { Messages: { } emails } => await SendEachAsync(emails, templated: true, context, user, sender, options.Value, time, cancellationToken),
            { } => PostmarkErrors.Error(PostmarkErrors.InvalidEmailRequest, "Messages: is required, an array of templated messages."),
            null => Unreadable(body),
        };
    }

    private static async Task<IResult> SendEachAsync(
        IReadOnlyList<PostmarkEmail?> emails, bool templated, HttpContext context, ClaimsPrincipal user, CompatSender sender, MessagesOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var max = options.MaxBatchSize;
        if (emails.Count > max)
        {
            return PostmarkErrors.Error(PostmarkErrors.TooManyBatchMessages, $"At most {max} messages per batch (Messages:MaxBatchSize); this one has {emails.Count}.");
        }

        if (Key(context) is { } key && !MessageRules.IsValidIdempotencyKey(key))
        {
            return PostmarkErrors.Error(PostmarkErrors.InvalidEmailRequest, $"{MessageRules.IdempotencyKeyRule}.");
        }

        var requests = new SendMessageRequest?[emails.Count];
        var results = new PostmarkResponse?[emails.Count];
        for (var i = 0; i < emails.Count; i++)
        {
            if (emails[i] is not { } email)
            {
                results[i] = new PostmarkResponse { ErrorCode = PostmarkErrors.InvalidEmailRequest, Message = "The message must be an object." };
                continue;
            }

            var (request, errors) = PostmarkTranslation.Translate(email, templated);
            requests[i] = request;
            results[i] = request is null ? new PostmarkResponse { ErrorCode = PostmarkErrors.InvalidEmailRequest, Message = CompatErrors.Describe(errors) } : null;
        }

        var route = $"POST {context.Request.PathBase}{context.Request.Path}";
        var batch = await sender.PrepareBatchAsync(requests, user, cancellationToken);
        var (reused, outcomes, replayed) = await sender.SendBatchAsync(batch, route, Key(context), user, cancellationToken);
        if (reused is not null)
        {
            return PostmarkErrors.Error(PostmarkErrors.InvalidEmailRequest, reused.Reason);
        }

        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i] is { } outcome)
            {
                results[i] = Response(emails[i]!, requests[i]!, outcome, context, time.GetUtcNow());
            }
        }

        IdempotencyHeaders.MarkReplayed(context, replayed);
        return TypedResults.Json(results, PostmarkErrors.Json);
    }

    /// <summary>
    /// One message's answer. A template that cannot be used (missing, or failing to render) is
    /// Postmark's 1101, which its SDK raises as ApiInputError. Every recipient on the suppression
    /// list is Postmark's "inactive recipient" (406; the message is recorded as suppressed, as with
    /// our own API); some of them is a sent message whose Message names them, as Postmark words it.
    /// </summary>
    private static PostmarkResponse Response(PostmarkEmail email, SendMessageRequest request, CompatOutcome outcome, HttpContext context, DateTimeOffset now)
    {
        switch (outcome)
        {
            case CompatInvalid invalid:
                return new PostmarkResponse
                {
                    ErrorCode = invalid.Template ? PostmarkErrors.TemplateNotFound : PostmarkErrors.InvalidEmailRequest,
                    Message = CompatErrors.Describe(CompatErrors.Renamed(invalid.Errors, key => PostmarkTranslation.FieldName(key, email))),
                };
            case CompatDecided { Result: MessageAccepted { Status: Core.Messages.MessageStatus.Suppressed } accepted }:
                return new PostmarkResponse
                {
                    ErrorCode = PostmarkErrors.InactiveRecipient,
                    Message = $"You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: {string.Join(", ", accepted.Suppressed)}. "
                        + "Inactive recipients are ones on SendApi's suppression list (a hard bounce, a complaint or added by hand).",
                };
            case CompatDecided { Result: MessageAccepted accepted }:
                IdempotencyHeaders.MarkReplayed(context, accepted.Replayed);
                return new PostmarkResponse
                {
                    To = string.Join(", ", request.To ?? []),
                    SubmittedAt = now,
                    MessageId = accepted.Id,
                    ErrorCode = 0,
                    Message = accepted.Suppressed.Count > 0 ? $"Message OK, but will not deliver to these inactive addresses: {string.Join(", ", accepted.Suppressed)}." : "OK",
                };
            case CompatDecided { Result: var refusal }:
                var (code, message) = PostmarkErrors.Of(refusal);
                return new PostmarkResponse { ErrorCode = code, Message = message };
            default:
                throw new InvalidOperationException("Unknown outcome.");
        }
    }

    private static IResult Unreadable<T>(CompatBody<T> body)
        where T : class =>
        body switch
        {
            { NotJson: true } => PostmarkErrors.Error(PostmarkErrors.JsonRequired, "The body must be JSON ('Content-Type: application/json')."),
            { FieldErrors: { } errors } => PostmarkErrors.Error(PostmarkErrors.IncompatibleJson, $"Incompatible JSON input: {CompatErrors.Describe(errors)}"),
            _ => PostmarkErrors.Error(PostmarkErrors.InvalidJson, $"Received invalid JSON input: {body.SyntaxError}"),
        };

    private static string? Key(HttpContext context) => context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } key ? key : null;
}
