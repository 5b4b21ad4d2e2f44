using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Auth;
using SendApi.Api.Http;
using SendApi.Core.Accounts;

namespace SendApi.Api.Features.ApiKeys;

/// <param name="Name">A label, e.g. the application that uses the key.</param>
/// <param name="AccountId">The account the key acts for; keys of one account see the same messages. A new account when absent.</param>
public sealed record CreateApiKeyRequest(string? Name, string? AccountId);

public sealed record ApiKeyDetails(string Id, string Name, string AccountId, bool Admin, DateTimeOffset CreatedAt)
{
    internal static ApiKeyDetails From(ApiKey key) => new(key.Id, key.Name, key.AccountId, key.IsAdmin, key.CreatedAt);
}

/// <param name="Key">The secret. It is shown only in this response.</param>
public sealed record CreatedApiKey(string Id, string Name, string AccountId, DateTimeOffset CreatedAt, string Key);

internal sealed class CreateApiKeyValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(100).Must(n => n is null || !n.Any(char.IsControl)).WithMessage("must not contain control characters.");
        RuleFor(x => x.AccountId).Must(AccountIds.IsValid).When(x => x.AccountId is not null).WithMessage(AccountIds.Rule);
    }
}

public static class ApiKeysApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IServiceCollection AddSendApiApiKeys(this IServiceCollection services) =>
        services.AddScoped<IValidator<CreateApiKeyRequest>, CreateApiKeyValidator>();

    public static RouteGroupBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api-keys")
            .WithTags("API keys")
            .RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Create an API key (admin)").WithValidation<CreateApiKeyRequest>();
        group.MapGet("/", ListAsync).WithName("ListApiKeys").WithSummary("List API keys without their secrets, oldest first, a page at a time (admin)")
            .WithDescription($"?limit= takes 1-{MaxPageSize} (default {DefaultPageSize}); pass the answer's next_cursor as ?cursor= for the next page (null on the last page).");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteApiKey").WithSummary("Revoke an API key (admin)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    internal static async Task<Created<CreatedApiKey>> CreateAsync(CreateApiKeyRequest request, IApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var id = ApiKeySecrets.NewKeyId();
        var secret = ApiKeySecrets.Generate();
        var key = new ApiKey(id, request.Name!, request.AccountId ?? "acct_" + id["key_".Length..], IsAdmin: false, time.GetUtcNow());
        await keys.SaveAsync(key, secret, cancellationToken);
        return TypedResults.Created($"/api-keys/{id}", new CreatedApiKey(key.Id, key.Name, key.AccountId, key.CreatedAt, secret));
    }

    internal static async Task<Results<Ok<ListPage<ApiKeyDetails>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, IApiKeyStore keys, CancellationToken cancellationToken)
    {
        // Key ids are "key_" and hex, or the bootstrap key's fixed id.
        if (Paging.Validate(limit, MaxPageSize, cursor, c => Paging.IsPosition(c, id => ApiKeySecrets.IsKeyId(id) || id == AdminKeyBootstrap.KeyId)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is invalid.");
        }

        return TypedResults.Ok(Paging.Slice(
            await keys.ListAsync(cancellationToken), k => k.CreatedAt, k => k.Id, newestFirst: false, limit ?? DefaultPageSize, cursor, ApiKeyDetails.From));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, IApiKeyStore keys, CancellationToken cancellationToken)
    {
        if (id == AdminKeyBootstrap.KeyId)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "The bootstrap admin key comes from configuration.",
                detail: "Remove or change Admin:ApiKey and restart instead.");
        }

        return ApiKeySecrets.IsKeyId(id) && await keys.DeleteAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "API key not found.", detail: $"No API key '{id}'.");
    }
}
