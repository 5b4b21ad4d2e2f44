using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Templates;
using SendApi.Api.Http;
using SendApi.Core.Messages;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// <c>POST /messages/batch</c>: a JSON array of messages as <c>POST /messages</c> takes them, each
/// read and validated on its own, so that one bad message (even one that does not fit the request
/// type) costs only its own result. The valid ones go to <see cref="MessageIntake"/> together.
/// </summary>
internal static class MessageBatchApi
{
    private const string Route = "POST /messages/batch";

    internal static async Task<Results<Ok<IReadOnlyList<BatchItemResult>>, ValidationProblem, ProblemHttpResult>> SendBatchAsync(
        HttpContext context,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ClaimsPrincipal user,
        IValidator<SendMessageRequest> validator,
        TemplateSends templates,
        MessageIntake intake,
        IOptions<MessagesOptions> options,
        IOptions<HttpJsonOptions> json,
        CancellationToken cancellationToken)
    {
        if (MessagesApi.InvalidKey(idempotencyKey) is { } invalidKey)
        {
            return invalidKey;
        }

        if (!context.Request.HasJsonContentType())
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type.",
                detail: "The body is a JSON array of messages ('Content-Type: application/json').");
        }

        var serializer = json.Value.SerializerOptions;
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, serializer, cancellationToken);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request body is not valid JSON.", detail: $"The body is not valid JSON: {ex.Message}");
        }

        var limits = options.Value;
        if (BatchError(body, limits.MaxBatchSize) is { } batchError)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [batchError] }, title: "The batch is invalid.");
        }

        var results = new BatchItemResult[body.GetArrayLength()];
        var composed = new List<(int Index, IncomingMessage Message, IReadOnlyList<string>? Warnings)>();
        var accountId = user.AccountId();
        var sendingKey = user.SendingKey();
        var i = -1;
        foreach (var element in body.EnumerateArray())
        {
            i++;
            var (request, problem) = await ReadAsync(element, i, validator, serializer, limits, cancellationToken);
            if (problem is not null)
            {
                results[i] = problem;
                continue;
            }

            var send = await templates.ComposeAsync(request!, MessageIds.New(), accountId, cancellationToken);
            if (send.Errors is { } errors)
            {
                results[i] = BatchMessageProblem.Invalid(Prefixed(i, errors.ToDictionary()));
                continue;
            }

            composed.Add((i, send.Message! with { IdempotencyKey = idempotencyKey is null ? null : BatchIdempotency.ItemKey(idempotencyKey, i), Key = sendingKey }, send.Warnings));
        }

        var fingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson(Route, body);
        var outcome = await intake.AcceptBatchAsync(accountId, [.. composed.Select(c => c.Message)], idempotencyKey, fingerprint, cancellationToken);
        if (outcome.Refused is { } reused)
        {
            return MessagesApi.KeyReused(reused);
        }

        for (var k = 0; k < composed.Count; k++)
        {
            results[composed[k].Index] = outcome.Items[k] switch
            {
                MessageAccepted accepted => BatchMessageAccepted.Of(accepted, composed[k].Warnings),
                MessageTooLarge tooLarge => BatchMessageProblem.TooLarge(tooLarge.Size, tooLarge.MaxSize),
                SenderDomainNotVerified refused => BatchMessageProblem.NotVerified(refused),
                SenderDomainNotAllowedForKey refused => BatchMessageProblem.NotAllowedForKey(refused),
                var other => throw new UnreachableException($"{Route} does not answer {other.GetType().Name} for a message."),
            };
        }

        IdempotencyHeaders.MarkReplayed(context, outcome.Replayed);
        return TypedResults.Ok<IReadOnlyList<BatchItemResult>>(results);
    }

    private static string? BatchError(JsonElement body, int max) => body.ValueKind switch
    {
        not JsonValueKind.Array => "The body must be a JSON array of messages.",
        _ when body.GetArrayLength() == 0 => "The batch must hold at least one message.",
        _ when body.GetArrayLength() > max => $"At most {max} messages per batch (Messages:MaxBatchSize); this one has {body.GetArrayLength()}.",
        _ => null,
    };

    /// <summary>One message of the batch, read and validated; or its problem, with error keys prefixed by its index.</summary>
    private static async Task<(SendMessageRequest? Request, BatchMessageProblem? Problem)> ReadAsync(
        JsonElement element, int index, IValidator<SendMessageRequest> validator, JsonSerializerOptions serializer, MessagesOptions limits, CancellationToken cancellationToken)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, BatchMessageProblem.Invalid(new Dictionary<string, string[]> { [$"[{index}]"] = ["must be a message object"] }));
        }

        SendMessageRequest request;
        try
        {
            request = element.Deserialize<SendMessageRequest>(serializer)!;
        }
        catch (JsonException ex)
        {
            var errors = JsonBodyErrors.Describe(ex, typeof(SendMessageRequest), serializer) ?? new Dictionary<string, string[]> { ["$"] = ["is not a valid message"] };
            return (null, BatchMessageProblem.Invalid(Prefixed(index, errors)));
        }

        var validation = await validator.ValidateAsync(request, cancellationToken);
        if (!validation.IsValid)
        {
            return (null, BatchMessageProblem.Invalid(Prefixed(index, validation.ToDictionary())));
        }

        // Before building anything: a message far over the limit costs no MIME work.
        var estimate = MessageComposer.EstimateSize(request);
        return estimate > limits.MaxSizeBytes ? (null, BatchMessageProblem.TooLarge(estimate, limits.MaxSizeBytes)) : (request, null);
    }

    /// <summary>"to" → "[3].to", "$" → "[3]", "[0]" (of the message) → "[3][0]": paths in the batch.</summary>
    private static Dictionary<string, string[]> Prefixed(int index, IDictionary<string, string[]> errors) =>
        errors.ToDictionary(
            e => e.Key switch
            {
                "$" or "" => $"[{index}]",
                var key when key.StartsWith('[') => $"[{index}]{key}",
                var key => $"[{index}].{key}",
            },
            e => e.Value);
}
