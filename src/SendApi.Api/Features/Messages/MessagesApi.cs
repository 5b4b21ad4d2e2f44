using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;
using SendApi.Api.Features.Templates;
using SendApi.Api.Http;
using SendApi.Core.Accounts;
using SendApi.Core.Messages;
using SendApi.Core.Messages.Search;
using SendApi.Core.Queue;

namespace SendApi.Api.Features.Messages;

public static class MessagesApi
{
    public static RouteGroupBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/messages")
            .WithTags("Messages")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/", SendAsync)
            .WithName("SendMessage")
            .WithSummary("Queue a message for delivery")
            .WithDescription("Builds the MIME message, stores it durably and queues it. Limits: at most Messages:MaxRecipients (default 50) recipients, Messages:MaxSizeBytes (default 10 MB) in all. With scheduled_at (RFC 3339, at most Messages:MaxScheduleAhead, default 72 h, ahead) it is accepted now and goes out then; until then POST /messages/{id}/cancel cancels it. Repeating a request with the same Idempotency-Key within 24 h answers as the first did, with the header Idempotent-Replayed: true, and creates nothing; the same key with a different request body is refused with 409.")
            .WithValidation<SendMessageRequest>()
            .AllowSendScope()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/batch", MessageBatchApi.SendBatchAsync)
            .WithName("SendMessageBatch")
            .WithSummary("Queue up to Messages:MaxBatchSize (default 500) messages in one request")
            .WithDescription("The body is a JSON array of messages as POST /messages takes them. Each is read and validated on its own: the answer is 200 with one result per message, in order, either {\"id\", \"status\"} (accepted, as POST /messages answers) or a problem object (400, 403 or 413) whose errors are keyed by JSON path in the batch, e.g. \"[3].to\". Valid messages are accepted even when others are not. An Idempotency-Key covers the whole batch: the same batch again answers as the first did, with Idempotent-Replayed: true, and creates nothing; a different body with the key is refused with 409. The whole body is held to the same size limit as one message's.")
            .Accepts<IReadOnlyList<SendMessageRequest>>("application/json")
            .AllowSendScope()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet("/", SearchAsync)
            .WithName("SearchMessages")
            .WithSummary("The account's messages, newest first, filtered and a page at a time")
            .WithDescription($"Filters combine: recipient (any of to, cc, bcc; case-insensitive), status (the message's status as of its last recorded attempt or report: {string.Join(", ", MessageSearchRequest.Statuses)}), tag, from (the envelope sender), since (inclusive) and until (exclusive) on the creation time (RFC 3339). ?limit= takes 1-{MessageSearchRequest.MaxPageSize} (default {MessageSearchRequest.DefaultPageSize}); pass the answer's next_cursor as ?cursor=, with the same filters, for the next (older) page; it is null on the last page. A page examines at most {MessageSearchLimits.ScanBudget} candidates, so a rare combination of filters can answer fewer messages than the limit with a next_cursor. Messages are found for as long as they are retained (30 days after they finish); messages accepted before this version are not indexed. A key with the 'send' scope finds only the messages it sent itself (with the same filters and paging); messages accepted before keys were recorded on them are found by no such key.")
            .AllowSendScope();

        group.MapPost("/raw", Submission.RawSubmissionApi.SendRawAsync)
            .WithName("SendRawMessage")
            .WithSummary("Queue a MIME message you built yourself (Content-Type: message/rfc822)")
            .AllowSendScope()
            .WithDescription("The body is one RFC 5322 message with CRLF line breaks, taken as SMTP submission takes it: a bare CR, LF or NUL and lines over 1000 octets are refused, X-SendApi-Tags, X-SendApi-Metadata-<name> and Idempotency-Key headers in the message are read and removed, and so is Bcc. The envelope comes from the request headers X-SendApi-From (the sender) and X-SendApi-To (recipients, comma-separated; repeatable), or else from the message's From (or Sender) and its To, Cc and Bcc. X-SendApi-Tags, X-SendApi-Metadata-<name> and Idempotency-Key may be request headers too, and then win over the message's. Limits as POST /messages: Messages:MaxSizeBytes for the message, Messages:MaxRecipients. Answers as POST /messages.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/{id}/cancel", CancelAsync)
            .WithName("CancelMessage")
            .WithSummary("Cancel what has not gone out yet")
            .WithDescription("Every recipient still waiting for an attempt (a scheduled message's, or one waiting to be retried) becomes canceled, with a canceled event and a message.canceled webhook; recipients already delivered, bounced or failed keep their state. Answers the message as GET /messages/{id} does. 409 when nothing is left to cancel, or when the message is being delivered at this moment (try again once the attempt is recorded).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/{id}", GetAsync)
            .WithName("GetMessage")
            .WithSummary("A message's status, its recipients' states and its event timeline")
            .WithDescription("A key with the 'send' scope reads only the messages it sent itself.")
            .AllowSendScope()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<Accepted<SendMessageResponse>, ValidationProblem, ProblemHttpResult>> SendAsync(
        SendMessageRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext context,
        ClaimsPrincipal user,
        TemplateSends templates,
        MessageIntake intake,
        Microsoft.Extensions.Options.IOptions<MessagesOptions> options,
        CancellationToken cancellationToken)
    {
        var maxSize = options.Value.MaxSizeBytes;
        if (InvalidKey(idempotencyKey) is { } invalid)
        {
            return invalid;
        }

        // Before building anything: a request far over the limit costs no MIME work.
        if (MessageComposer.EstimateSize(request) > maxSize)
        {
            return TooLarge(MessageComposer.EstimateSize(request), maxSize);
        }

        var composed = await templates.ComposeAsync(request, MessageIds.New(), user.AccountId(), cancellationToken);
        if (composed.Errors is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.", type: "https://tools.ietf.org/html/rfc9110#section-15.5.1");
        }

        var message = composed.Message! with
        {
            IdempotencyKey = idempotencyKey,
            RequestFingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson("POST /messages", request),
            Key = user.SendingKey(),
        };
        var result = await intake.AcceptAsync(message, cancellationToken);
        // Stored (or refused): nothing reads the bodies any more, and their buffers are the pool's.
        request.Text?.Release();
        request.Html?.Release();
        return result switch
        {
            MessageAccepted accepted => Accepted(context, accepted, composed.Warnings),
            MessageTooLarge tooLarge => TooLarge(tooLarge.Size, tooLarge.MaxSize),
            SenderDomainNotVerified refused => NotVerified(refused),
            SenderDomainNotAllowedForKey refused => NotAllowedForKey(refused),
            IdempotencyKeyReused reused => KeyReused(reused),
            var other => throw new UnreachableException($"POST /messages does not answer {other.GetType().Name}."),
        };
    }

    private static Accepted<SendMessageResponse> Accepted(HttpContext context, MessageAccepted accepted, IReadOnlyList<string>? templateWarnings)
    {
        IdempotencyHeaders.MarkReplayed(context, accepted.Replayed);
        return TypedResults.Accepted($"/messages/{accepted.Id}", SendMessageResponse.Of(accepted, templateWarnings));
    }

    internal static ProblemHttpResult NotVerified(SenderDomainNotVerified refused) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "The From domain is not verified.", detail: refused.Reason);

    internal static ProblemHttpResult NotAllowedForKey(SenderDomainNotAllowedForKey refused) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "This API key may not send from this domain.", detail: refused.Reason);

    internal static ProblemHttpResult KeyReused(IdempotencyKeyReused reused) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The Idempotency-Key was used for a different request.", detail: reused.Reason);

    /// <summary>400 for an Idempotency-Key header that breaks the rule; null when it is absent or valid.</summary>
    internal static ProblemHttpResult? InvalidKey(string? idempotencyKey) =>
        idempotencyKey is { } key && !MessageRules.IsValidIdempotencyKey(key)
            ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid Idempotency-Key header.", detail: $"{MessageRules.IdempotencyKeyRule}.")
            : null;

    internal static async Task<Results<Ok<MessageList>, ValidationProblem>> SearchAsync(
        string? recipient, string? status, string? tag, string? from, string? since, string? until, string? limit, string? cursor,
        ClaimsPrincipal user, IMessageSearch search, CancellationToken cancellationToken)
    {
        var request = new MessageSearchRequest(recipient, status, tag, from, since, until, limit, cursor);
        if (request.ToQuery(user.AccountId(), out var errors) is not { } query)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        // As GetAsync: another key's messages are invisible to a send-scoped key.
        if (user.ApiKeyScope() == ApiKeyScopes.Send)
        {
            query = query with { KeyId = user.KeyId() };
        }

        var page = await search.SearchAsync(query, cancellationToken);
        return TypedResults.Ok(new MessageList([.. page.Items.Select(MessageListItem.Of)], page.NextCursor));
    }

    internal static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> CancelAsync(
        string id, ClaimsPrincipal user, MessageCancellation cancellation, IMessageStore store, CancellationToken cancellationToken)
    {
        switch (await cancellation.CancelBySenderAsync(user.AccountId(), id, cancellationToken))
        {
            case CancelResult.Cancelled:
                return await GetAsync(id, user, store, cancellationToken);
            case CancelResult.AlreadyFinished:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing left to cancel.",
                    detail: $"Every recipient of message '{id}' is already final (delivered, bounced, failed, suppressed or canceled).");
            case CancelResult.InFlight:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The message is being delivered right now.",
                    detail: "Canceling now would race its SMTP transaction; what is not delivered can be canceled once the attempt is recorded (a few seconds).");
            default:
                return NotFound(id);
        }
    }

    internal static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IMessageStore store, CancellationToken cancellationToken)
    {
        var message = MessageIds.IsValid(id) ? await store.FindAsync(id, cancellationToken) : null;

        // Another account's message is indistinguishable from a missing one, and so is, for a
        // send-scoped key, a message another key of its account sent.
        if (message is null || message.Envelope.AccountId != user.AccountId()
            || (user.ApiKeyScope() == ApiKeyScopes.Send && message.Envelope.KeyId != user.KeyId()))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(MessageDetails.Of(message));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Message not found.",
            detail: $"No message '{id}' for this API key's account.");

    internal static ProblemHttpResult TooLarge(long size, long max) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "The message is too large.",
            detail: new MessageTooLarge(size, max).Reason);
}
