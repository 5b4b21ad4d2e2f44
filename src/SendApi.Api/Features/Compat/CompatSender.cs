using System.Security.Claims;
using FluentValidation;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Templates;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Compat;

/// <summary>What became of one message a provider's request was translated into.</summary>
internal abstract record CompatOutcome;

/// <summary>
/// It breaks a rule of <c>POST /messages</c>; nothing was stored. Errors are keyed by our JSON names
/// (<c>to[0]</c>, <c>template</c>), which the provider words in its own.
/// </summary>
/// <param name="Template">The template step refused it (the template or its layout is missing, or it failed to render), rather than a rule of the request's fields.</param>
internal sealed record CompatInvalid(IReadOnlyDictionary<string, string[]> Errors, bool Template = false) : CompatOutcome;

/// <summary>The intake decided: accepted, or refused (too large, From domain, Idempotency-Key).</summary>
internal sealed record CompatDecided(IntakeResult Result) : CompatOutcome;

/// <summary>
/// The messages of one provider request, each checked and composed (<see cref="CompatSender.PrepareBatchAsync"/>)
/// and none accepted yet: an all-or-nothing provider looks at <see cref="Refused"/> before sending any.
/// </summary>
internal sealed class CompatBatch(IReadOnlyList<SendMessageRequest?> requests, CompatOutcome?[] outcomes, IncomingMessage?[] messages)
{
    public IReadOnlyList<SendMessageRequest?> Requests => requests;

    /// <summary>Per request, why it cannot be sent (invalid, or too large by the estimate); null when it is composed or was not given.</summary>
    public IReadOnlyList<CompatOutcome?> Outcomes => outcomes;

    internal IReadOnlyList<IncomingMessage?> Messages => messages;

    public IEnumerable<(int Index, CompatOutcome Outcome)> Refused =>
        outcomes.Select((o, i) => (i, o)).Where(x => x.o is not null).Select(x => (x.i, x.o!));
}

/// <summary>
/// The one way a provider's request reaches the intake: each provider translates its body into
/// <see cref="SendMessageRequest"/>s, and from there every message takes the steps of
/// <c>POST /messages</c> (one) or <c>POST /messages/batch</c> (several): the same validator, the
/// same size estimate, the same template step (<see cref="TemplateSends"/>, which composes a
/// request without a template as it is), the same <see cref="MessageIntake"/> with its suppression
/// list, From-domain rules, key restrictions, tracking and idempotency. A field of our request
/// reaches the providers by one line in their translation.
/// <para>
/// A template's warnings (variables that rendered empty) are not passed on: none of the providers'
/// success answers has a place for them (Resend's is an id, SendGrid's is empty, and Postmark
/// clients compare its Message with "OK"). <c>POST /templates/{name}/render</c> shows them.
/// </para>
/// </summary>
internal sealed class CompatSender(
    IValidator<SendMessageRequest> validator,
    TemplateSends templates,
    MessageIntake intake,
    IOptions<MessagesOptions> options)
{
    private readonly long _maxSize = options.Value.MaxSizeBytes;

    /// <summary>The rules a message must meet before anything is built; null when it meets them.</summary>
    public async Task<CompatOutcome?> CheckAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        var validation = await validator.ValidateAsync(request, cancellationToken);
        if (!validation.IsValid)
        {
            return new CompatInvalid(new Dictionary<string, string[]>(validation.ToDictionary()));
        }

        // Before building anything: a message far over the limit costs no MIME work.
        var estimate = MessageComposer.EstimateSize(request);
        return estimate > _maxSize ? new CompatDecided(new MessageTooLarge(estimate, _maxSize)) : null;
    }

    /// <param name="route">Names the request in its Idempotency-Key fingerprint, e.g. "POST /compat/resend/emails".</param>
    public async Task<CompatOutcome> SendAsync(SendMessageRequest request, string route, string? idempotencyKey, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (composed, refused) = await ComposeAsync(request, user.AccountId(), cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var message = composed! with
        {
            IdempotencyKey = idempotencyKey,
            RequestFingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson(route, request),
            Key = user.SendingKey(),
        };
        return new CompatDecided(await intake.AcceptAsync(message, cancellationToken));
    }

    /// <summary>
    /// Several messages of one request, each checked and composed on its own (its template
    /// rendered), as <c>POST /messages/batch</c> takes them; nothing is accepted yet. A null
    /// request (the provider could not translate it) is skipped.
    /// </summary>
    public async Task<CompatBatch> PrepareBatchAsync(IReadOnlyList<SendMessageRequest?> requests, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcomes = new CompatOutcome?[requests.Count];
        var messages = new IncomingMessage?[requests.Count];
        var accountId = user.AccountId();
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i] is { } request)
            {
                (messages[i], outcomes[i]) = await ComposeAsync(request, accountId, cancellationToken);
            }
        }

        return new CompatBatch(requests, outcomes, messages);
    }

    /// <summary>
    /// The composed messages of <paramref name="batch"/> to the intake together; an
    /// Idempotency-Key covers the whole request.
    /// </summary>
    /// <returns>The whole request refused (its Idempotency-Key stands for another), or one outcome per request, in order (null for one not given).</returns>
    public async Task<(IdempotencyKeyReused? Refused, IReadOnlyList<CompatOutcome?> Outcomes, bool Replayed)> SendBatchAsync(
        CompatBatch batch, string route, string? idempotencyKey, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcomes = batch.Outcomes.ToArray();
        var sendingKey = user.SendingKey();
        var composed = batch.Messages
            .Select((message, i) => (Index: i, Message: message))
            .Where(c => c.Message is not null)
            .Select(c => (c.Index, Message: c.Message! with { IdempotencyKey = idempotencyKey is null ? null : BatchIdempotency.ItemKey(idempotencyKey, c.Index), Key = sendingKey }))
            .ToList();

        var fingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson(route, batch.Requests);
        var result = await intake.AcceptBatchAsync(user.AccountId(), [.. composed.Select(c => c.Message)], idempotencyKey, fingerprint, cancellationToken);
        if (result.Refused is { } reused)
        {
            return (reused, [], false);
        }

        for (var k = 0; k < composed.Count; k++)
        {
            outcomes[composed[k].Index] = new CompatDecided(result.Items[k]);
        }

        return (null, outcomes, result.Replayed);
    }

    /// <summary>One message checked and built, its content from its template when it names one; or why not.</summary>
    private async Task<(IncomingMessage? Message, CompatOutcome? Refused)> ComposeAsync(SendMessageRequest request, string accountId, CancellationToken cancellationToken)
    {
        if (await CheckAsync(request, cancellationToken) is { } refused)
        {
            return (null, refused);
        }

        var composed = await templates.ComposeAsync(request, MessageIds.New(), accountId, cancellationToken);
        return composed.Errors is { } errors
            ? (null, new CompatInvalid(errors, Template: true))
            : (composed.Message!, null);
    }
}
