using System.Security.Claims;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Api.Http;
using SendApi.Core.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Suppressions;

/// <summary>
/// <c>/suppressions</c>: the API key's account's suppression list. Another account's entry is a
/// 404, as a missing one is. Sending to a listed address is enforced, for every channel, by
/// <see cref="SuppressedRecipients"/> in the message intake.
/// </summary>
public static class SuppressionsApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IServiceCollection AddSendApiSuppressions(this IServiceCollection services)
    {
        services.AddScoped<IValidator<CreateSuppressionRequest>, CreateSuppressionValidator>();
        return services;
    }

    public static RouteGroupBuilder MapSuppressionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/suppressions")
            .WithTags("Suppressions")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/", ListAsync)
            .WithName("ListSuppressions")
            .WithSummary("The account's suppressed addresses, a page at a time")
            .WithDescription($"In address order. ?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next page. next_cursor is null on the last page.");

        group.MapGet("/{address}", GetAsync)
            .WithName("GetSuppression")
            .WithSummary("Whether an address is suppressed, and why")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/", CreateAsync)
            .WithName("CreateSuppression")
            .WithSummary("Suppress an address")
            .WithDescription("Messages to it are accepted, but that recipient gets the status 'suppressed' and is sent nothing. Adding an address already on the list changes nothing and answers 200 with the existing entry (its first reason and time are kept); a new one is 201.")
            .WithValidation<CreateSuppressionRequest>();

        group.MapDelete("/{address}", DeleteAsync)
            .WithName("DeleteSuppression")
            .WithSummary("Remove an address from the list; the next message to it is sent")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    internal static async Task<Results<Ok<ListPage<Suppression>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, ISuppressionStore store, CancellationToken cancellationToken)
    {
        // The cursor is the last address of the previous page.
        if (Paging.Validate(limit, MaxPageSize, cursor, c => EmailAddress.TryParse(c, out _, out _)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        var page = await store.ListAsync(user.AccountId(), string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? DefaultPageSize, cancellationToken);
        return TypedResults.Ok(new ListPage<Suppression>(page.Items, page.NextCursor));
    }

    internal static async Task<Results<Ok<Suppression>, ProblemHttpResult>> GetAsync(
        string address, ClaimsPrincipal user, ISuppressionStore store, CancellationToken cancellationToken) =>
        EmailAddress.TryParse(address, out _, out _) && await store.GetAsync(user.AccountId(), address, cancellationToken) is { } suppression
            ? TypedResults.Ok(suppression)
            : NotFound(address);

    internal static async Task<Results<Created<Suppression>, Ok<Suppression>>> CreateAsync(
        CreateSuppressionRequest request, ClaimsPrincipal user, ISuppressionStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        // The validator accepted it, so it parses.
        EmailAddresses.TryParse(request.Address, out var mailbox, out _);
        var entry = new Suppression(
            mailbox.Address, request.Reason ?? SuppressionReasons.Manual, request.Detail, MessageId: null, time.GetUtcNow());
        var result = await store.AddAsync(user.AccountId(), entry, cancellationToken);
        return result.Added
            ? TypedResults.Created($"/suppressions/{Uri.EscapeDataString(result.Suppression.Address)}", result.Suppression)
            : TypedResults.Ok(result.Suppression);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string address, ClaimsPrincipal user, ISuppressionStore store, CancellationToken cancellationToken) =>
        EmailAddress.TryParse(address, out _, out _) && await store.RemoveAsync(user.AccountId(), address, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(address);

    private static ProblemHttpResult NotFound(string address) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Address not suppressed.",
            detail: $"'{address}' is not on this API key's account's suppression list.");
}
