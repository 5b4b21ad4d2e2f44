using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using SendApi.Api.Auth;
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
            .WithDescription($"Each with its attempts, HTTP status, latency, last error and next retry. The last {WebhookLimits.DeliveriesPerWebhook} deliveries are kept; limit defaults to {DefaultLimit}.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/deliveries/{deliveryId}/retry", RetryAsync)
            .WithName("RetryWebhookDelivery")
            .WithSummary("Send a delivery again now")
            .WithDescription("One fresh attempt with the same webhook-id (so receivers can still drop a duplicate), whatever the delivery's status.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    internal static async Task<Results<Ok<WebhookDeliveryDetails[]>, ProblemHttpResult>> ListAsync(
        string id, int? limit, ClaimsPrincipal user, IWebhookStore store, IWebhookDeliveryLog log, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > WebhookLimits.DeliveriesPerWebhook)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid limit.",
                detail: $"limit is between 1 and {WebhookLimits.DeliveriesPerWebhook}.");
        }

        if (!WebhookIds.IsValid(id) || await store.FindAsync(user.AccountId(), id, cancellationToken) is null)
        {
            return WebhooksApi.NotFound(id);
        }

        var deliveries = await log.ListAsync(id, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok(deliveries.Select(WebhookDeliveryDetails.From).ToArray());
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
