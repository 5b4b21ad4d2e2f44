using System.Security.Claims;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Webhooks;
using SendApi.Webhooks;

namespace SendApi.Api.Features.Webhooks;

/// <summary>
/// <c>/webhooks</c>: an account's endpoints and their delivery logs. Every route is scoped to the
/// API key's account; another account's endpoint is a 404, as a missing one is.
/// </summary>
public static class WebhooksApi
{
    /// <summary>
    /// The API's own part; the endpoints read <see cref="WebhookOptions"/> and replay through
    /// <see cref="WebhookJobs"/>, which <see cref="WebhooksServiceCollectionExtensions.AddSendApiWebhookDelivery"/> registers.
    /// </summary>
    public static IServiceCollection AddSendApiWebhooks(this IServiceCollection services) =>
        services.AddScoped<IValidator<CreateWebhookRequest>, CreateWebhookValidator>();

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/webhooks")
            .WithTags("Webhooks")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/", CreateAsync)
            .WithName("CreateWebhook")
            .WithSummary("Register an endpoint for events")
            .WithDescription("Returns the signing secret, which is shown only here and on rotation. Requests are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). URLs that reach loopback, private, link-local or metadata addresses are refused unless Webhooks:AllowPrivateNetworks is set.")
            .WithValidation<CreateWebhookRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/", ListAsync).WithName("ListWebhooks").WithSummary("The account's endpoints, without their secrets, oldest first")
            .WithDescription($"?limit= takes 1-{WebhookLimits.WebhooksPerAccount} (default {WebhookLimits.WebhooksPerAccount}, all of them); next_cursor as ?cursor= for the next page (null on the last page).");
        group.MapGet("/{id}", GetAsync).WithName("GetWebhook").WithSummary("One endpoint, without its secret")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook").WithSummary("Delete an endpoint and its delivery log")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/rotate-secret", RotateSecretAsync)
            .WithName("RotateWebhookSecret")
            .WithSummary("Replace the signing secret")
            .WithDescription("Until the previous secret expires (Webhooks:RotationGracePeriod, 24 h by default) every request carries two signatures, one per secret.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        WebhookDeliveriesApi.Map(group);
        return app;
    }

    internal static async Task<Results<Created<CreatedWebhook>, ProblemHttpResult>> CreateAsync(
        CreateWebhookRequest request, ClaimsPrincipal user, IWebhookStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var account = user.AccountId();
        if ((await store.ListAsync(account, cancellationToken)).Count >= WebhookLimits.WebhooksPerAccount)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Too many webhooks.",
                detail: $"An account has at most {WebhookLimits.WebhooksPerAccount} webhooks; delete one first.");
        }

        var webhook = new Webhook(
            WebhookIds.New(), account, request.Url!, [.. request.Events!.Distinct(StringComparer.Ordinal)], time.GetUtcNow(), WebhookSecrets.Generate());
        await store.CreateAsync(webhook, cancellationToken);
        return TypedResults.Created(
            $"/webhooks/{webhook.Id}",
            new CreatedWebhook(webhook.Id, webhook.Url, webhook.Events, webhook.IsEnabled, webhook.CreatedAt, webhook.Secret));
    }

    internal static async Task<Results<Ok<ListPage<WebhookDetails>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, IWebhookStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, WebhookLimits.WebhooksPerAccount, cursor, c => Paging.IsPosition(c, WebhookIds.IsValid)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var now = time.GetUtcNow();
        return TypedResults.Ok(Paging.Slice(
            await store.ListAsync(user.AccountId(), cancellationToken), w => w.CreatedAt, w => w.Id, newestFirst: false,
            limit ?? WebhookLimits.WebhooksPerAccount, cursor, w => WebhookDetails.From(w, now)));
    }

    internal static async Task<Results<Ok<WebhookDetails>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IWebhookStore store, TimeProvider time, CancellationToken cancellationToken) =>
        WebhookIds.IsValid(id) && await store.FindAsync(user.AccountId(), id, cancellationToken) is { } webhook
            ? TypedResults.Ok(WebhookDetails.From(webhook, time.GetUtcNow()))
            : NotFound(id);

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, IWebhookStore store, CancellationToken cancellationToken) =>
        WebhookIds.IsValid(id) && await store.DeleteAsync(user.AccountId(), id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);

    internal static async Task<Results<Ok<RotatedSecret>, ProblemHttpResult>> RotateSecretAsync(
        string id, ClaimsPrincipal user, IWebhookStore store, TimeProvider time, IOptions<WebhookOptions> options, CancellationToken cancellationToken)
    {
        if (!WebhookIds.IsValid(id))
        {
            return NotFound(id);
        }

        var previousExpiresAt = time.GetUtcNow() + options.Value.RotationGracePeriodValue;
        var rotated = await store.RotateSecretAsync(user.AccountId(), id, WebhookSecrets.Generate(), previousExpiresAt, cancellationToken);
        return rotated is null ? NotFound(id) : TypedResults.Ok(new RotatedSecret(rotated.Id, rotated.Secret, previousExpiresAt));
    }

    internal static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Webhook not found.", detail: $"No webhook '{id}' for this API key's account.");
}
