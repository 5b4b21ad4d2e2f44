using System.Security.Claims;
using FluentValidation;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages;

namespace SendApi.Api.Features.Compat;

/// <summary>What became of one message a provider's request was translated into.</summary>
internal abstract record CompatOutcome;

/// <summary>It breaks a rule of <c>POST /messages</c>; nothing was stored. Errors are keyed by our JSON names (<c>to[0]</c>), which the provider words in its own.</summary>
internal sealed record CompatInvalid(IReadOnlyDictionary<string, string[]> Errors) : CompatOutcome;

/// <summary>The intake decided: accepted, or refused (too large, From domain, Idempotency-Key).</summary>
internal sealed record CompatDecided(IntakeResult Result) : CompatOutcome;

/// <summary>
/// The one way a provider's request reaches the intake: each provider translates its body into
/// <see cref="SendMessageRequest"/>s, and from there every message takes the steps of
/// <c>POST /messages</c> (one) or <c>POST /messages/batch</c> (several): the same validator, the
/// same size estimate, the same composer, the same <see cref="MessageIntake"/> with its suppression
/// list, From-domain rules, key restrictions and idempotency. A field added to our request (a
/// template, tracking) reaches the providers by one line in their translation.
/// </summary>
internal sealed class CompatSender(
    IValidator<SendMessageRequest> validator,
    MessageComposer composer,
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
        if (await CheckAsync(request, cancellationToken) is { } refused)
        {
            return refused;
        }

        var message = composer.Compose(request, MessageIds.New(), user.AccountId()) with
        {
            IdempotencyKey = idempotencyKey,
            RequestFingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson(route, request),
            Key = user.SendingKey(),
        };
        return new CompatDecided(await intake.AcceptAsync(message, cancellationToken));
    }

    /// <summary>
    /// Several messages of one request, as <c>POST /messages/batch</c> takes them: each is checked
    /// on its own, the valid ones go to the intake together, and an Idempotency-Key covers the
    /// whole request. A null request (the provider could not translate it) is skipped and has a
    /// null outcome.
    /// </summary>
    /// <param name="checkedAlready">The requests were checked with <see cref="CheckAsync"/> already (an all-or-nothing provider checks first).</param>
    /// <returns>The whole request refused (its Idempotency-Key stands for another), or one outcome per request, in order.</returns>
    public async Task<(IdempotencyKeyReused? Refused, IReadOnlyList<CompatOutcome?> Outcomes, bool Replayed)> SendBatchAsync(
        IReadOnlyList<SendMessageRequest?> requests, string route, string? idempotencyKey, ClaimsPrincipal user, CancellationToken cancellationToken, bool checkedAlready = false)
    {
        var outcomes = new CompatOutcome?[requests.Count];
        var composed = new List<(int Index, IncomingMessage Message)>();
        var (accountId, sendingKey) = (user.AccountId(), user.SendingKey());
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i] is not { } request)
            {
                continue;
            }

            if (!checkedAlready && await CheckAsync(request, cancellationToken) is { } refused)
            {
                outcomes[i] = refused;
                continue;
            }

            var message = composer.Compose(request, MessageIds.New(), accountId);
            composed.Add((i, message with { IdempotencyKey = idempotencyKey is null ? null : BatchIdempotency.ItemKey(idempotencyKey, i), Key = sendingKey }));
        }

        var fingerprint = idempotencyKey is null ? null : RequestFingerprint.OfJson(route, requests);
        var result = await intake.AcceptBatchAsync(accountId, [.. composed.Select(c => c.Message)], idempotencyKey, fingerprint, cancellationToken);
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
}
