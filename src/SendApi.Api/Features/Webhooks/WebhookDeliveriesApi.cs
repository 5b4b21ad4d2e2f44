using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Webhooks;
using SendApi.Webhooks;

namespace SendApi.Api.Features.Webhooks;

/// <summary><c>/webhooks/{id}/deliveries</c>: what was sent to an endpoint, how it went, and replays.</summary>
internal static class WebhookDeliveriesApi
{
    private const int DefaultLimit = 100;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/{id}/deliveries", ListAsync)
            .WithName("ListWebhookDeliveries")
            .WithSummary("The endpoint's latest deliveries, newest first")
            .WithDescription($"Each with its attempts, HTTP status, latency, last error and next retry. The last {WebhookLimits.DeliveriesPerWebhook} deliveries are kept. ?limit= takes 1-{WebhookLimits.DeliveriesPerWebhook} (default {DefaultLimit}); next_cursor as ?cursor= for the next (older) page (null on the last page).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/deliveries/{deliveryId}/retry", RetryAsync)
            .WithName("RetryWebhookDelivery")
            .WithSummary("Send a delivery again now")
            .WithDescription("One fresh attempt with the same webhook-id (so receivers can still drop a duplicate), whatever the delivery's status.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    internal static async Task<Results<Ok<ListPage<WebhookDeliveryDetails>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string id, int? limit, string? cursor, ClaimsPrincipal user, IWebhookStore store, IWebhookDeliveryLog log, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, WebhookLimits.DeliveriesPerWebhook, cursor, c => Paging.IsPosition(c, WebhookDelivery.IsValidId)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        if (!WebhookIds.IsValid(id) || await store.FindAsync(user.AccountId(), id, cancellationToken) is null)
        {
            return WebhooksApi.NotFound(id);
        }

        // The log keeps at most DeliveriesPerWebhook, so reading it whole to page it is bounded.
        var deliveries = await log.ListAsync(id, WebhookLimits.DeliveriesPerWebhook, cancellationToken);
        return TypedResults.Ok(Paging.Slice(
            deliveries, d => d.CreatedAt, d => d.Id, newestFirst: true, limit ?? DefaultLimit, cursor, WebhookDeliveryDetails.From));
    }

    internal static async Task<Results<Accepted<WebhookDeliveryDetails>, ProblemHttpResult>> RetryAsync(
        string id, string deliveryId, ClaimsPrincipal user, IWebhookStore store, IWebhookDeliveryLog log, WebhookJobs jobs, CancellationToken cancellationToken)
    {
        var webhook = WebhookIds.IsValid(id) ? await store.FindAsync(user.AccountId(), id, cancellationToken) : null;
        if (webhook is null)
        {
            return WebhooksApi.NotFound(id);
        }

        var delivery = WebhookDelivery.IsValidId(deliveryId) ? await log.FindAsync(id, deliveryId, cancellationToken) : null;
        if (delivery is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Delivery not found.",
                detail: $"Webhook '{id}' has no delivery '{deliveryId}' (the last {WebhookLimits.DeliveriesPerWebhook} are kept).");
        }

        if (!webhook.IsEnabled)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "The webhook is disabled.",
                detail: $"It {webhook.DisabledReason}; create a new webhook for a working URL.");
        }

        jobs.Replay(id, deliveryId);
        return TypedResults.Accepted($"/webhooks/{id}/deliveries", WebhookDeliveryDetails.From(delivery));
    }
}
