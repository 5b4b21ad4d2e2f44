using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;

namespace SendApi.Api.Features.Compat.SendGrid;

/// <summary>
/// SendGrid's v3 <c>POST /v3/mail/send</c> under <c>Compat:SendGridPrefix</c>: each
/// personalization is one of our messages, the whole send goes through the intake as
/// <c>POST /messages/batch</c> does. As in SendGrid, a send is checked whole first: one invalid
/// personalization and nothing is sent. The answer is SendGrid's: 202, no body, and the id in
/// <c>X-Message-Id</c> (our message id; with several personalizations, their ids comma-separated).
/// </summary>
internal static class SendGridApi
{
    public const string MessageIdHeader = "X-Message-Id";

    public static RouteGroupBuilder MapSendGridApi(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapGroup(prefix).RequireAuthorization().ExcludeFromDescription().WithMetadata(new CompatApi("sendgrid"));
        group.MapPost("/v3/mail/send", SendAsync).Accepts<SendGridMail>("application/json").AllowSendScope();
        return group;
    }

    private static async Task<IResult> SendAsync(
        HttpContext context, ClaimsPrincipal user, CompatSender sender, IOptions<MessagesOptions> options, CancellationToken cancellationToken)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } header ? header : null;
        if (key is not null && !MessageRules.IsValidIdempotencyKey(key))
        {
            return SendGridErrors.Error(StatusCodes.Status400BadRequest, [new SendGridError($"{MessageRules.IdempotencyKeyRule}.", "Idempotency-Key")]);
        }

        var body = await CompatJson.ReadAsync<SendGridMail>(context, SendGridErrors.Json);
        if (body.Value is not { } mail)
        {
            return body switch
            {
                { NotJson: true } => SendGridErrors.Error(StatusCodes.Status415UnsupportedMediaType, [new SendGridError("The body must be JSON ('Content-Type: application/json').", null)]),
                { FieldErrors: { } fieldErrors } => SendGridErrors.Invalid(fieldErrors),
                _ => SendGridErrors.Error(StatusCodes.Status400BadRequest, [new SendGridError($"Bad Request: the body is not valid JSON: {body.SyntaxError}", null)]),
            };
        }

        var (requests, errors) = SendGridTranslation.Translate(mail);
        var max = options.Value.MaxBatchSize;
        if (requests.Count > max)
        {
            errors["personalizations"] = [$"At most {max} personalizations per send (Messages:MaxBatchSize); this one has {requests.Count}."];
            return SendGridErrors.Invalid(errors);
        }

        // All or nothing, as SendGrid: every personalization is checked and composed (its template
        // rendered) before any is sent.
        var batch = await sender.PrepareBatchAsync(requests, user, cancellationToken);
        foreach (var (i, outcome) in batch.Refused)
        {
            switch (outcome)
            {
                case CompatInvalid invalid:
                    foreach (var (field, messages) in CompatErrors.Renamed(invalid.Errors, k => SendGridTranslation.FieldName(k, i)))
                    {
                        errors[field] = errors.TryGetValue(field, out var earlier) ? [.. earlier.Union(messages)] : messages;
                    }

                    break;
                case CompatDecided { Result: var refusal }:
                    var (status, message) = SendGridErrors.Of(refusal);
                    return SendGridErrors.Error(status, [new SendGridError(message, $"personalizations[{i}]")]);
            }
        }

        if (errors.Count > 0)
        {
            return SendGridErrors.Invalid(errors);
        }

        var route = $"POST {context.Request.PathBase}{context.Request.Path}";
        var (reused, outcomes, replayed) = await sender.SendBatchAsync(batch, route, key, user, cancellationToken);
        if (reused is not null)
        {
            return SendGridErrors.Error(StatusCodes.Status409Conflict, [new SendGridError(reused.Reason, "Idempotency-Key")]);
        }

        var accepted = outcomes.Select(o => (o as CompatDecided)?.Result as MessageAccepted).ToList();
        IdempotencyHeaders.MarkReplayed(context, replayed);
        if (accepted.All(a => a is not null))
        {
            context.Response.Headers[MessageIdHeader] = string.Join(",", accepted.Select(a => a!.Id));
            return TypedResults.Accepted((string?)null);
        }

        // The intake refused some (their From domain, their size) after the others were accepted:
        // say which, and which were sent, so that a retry sends only what was refused.
        var refusals = outcomes.Select((o, i) => (o, i)).Where(x => x.o is CompatDecided { Result: not MessageAccepted }).ToList();
        var first = SendGridErrors.Of(((CompatDecided)refusals[0].o!).Result);
        var sent = accepted.Select((a, i) => (a, i)).Where(x => x.a is not null).Select(x => $"personalizations[{x.i}] as {x.a!.Id}").ToList();
        return SendGridErrors.Error(first.Status, refusals
            .Select(x => new SendGridError(SendGridErrors.Of(((CompatDecided)x.o!).Result).Message, $"personalizations[{x.i}]"))
            .Append(new SendGridError(sent.Count == 0 ? "Nothing was sent." : $"Sent: {string.Join(", ", sent)}.", null)));
    }
}
