using System.Diagnostics;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Auth;
using SendApi.Api.Auth.RateLimits;
using SendApi.Api.Http;
using SendApi.Core.Accounts;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.ApiKeys;

/// <param name="Name">A label, e.g. the application that uses the key.</param>
/// <param name="AccountId">The account the key acts for; keys of one account see the same messages. A new account when absent.</param>
/// <param name="Scope">full (the default: everything on the account), send (send, and read the messages this key sent) or read (every GET, nothing else).</param>
/// <param name="Domains">The From domains the key may send as (HTTP 403, SMTP 550 5.7.1 otherwise); absent or empty: any.</param>
/// <param name="RateLimit">Requests (HTTP requests and SMTP messages) per ApiKeys:RateLimitWindow; absent: ApiKeys:RateLimit.</param>
/// <param name="Sandbox">True: the key's mail goes through everything as usual but is captured (GET /captured), never delivered; its messages, events and webhooks say sandbox: true.</param>
public sealed record CreateApiKeyRequest(
    string? Name, string? AccountId, string? Scope = null, IReadOnlyList<string>? Domains = null, int? RateLimit = null, bool Sandbox = false);

/// <param name="Prefix">The secret's first characters, to tell keys apart (sk_ and 5 characters; 3 for a key set in Admin:ApiKey).</param>
/// <param name="Admin">Admin keys manage keys and open the operator pages; they have the full scope and no rate limit.</param>
/// <param name="RateLimit">The key's own limit per window; null: the configured default.</param>
/// <param name="LastUsedAt">When the key last authenticated, to the minute (recorded at most once a minute); null when never.</param>
public sealed record ApiKeyDetails(
    string Id,
    string? Prefix,
    string Name,
    string AccountId,
    bool Admin,
    string Scope,
    IReadOnlyList<string> Domains,
    int? RateLimit,
    bool Sandbox,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt)
{
    internal static ApiKeyDetails From(ApiKey key) =>
        new(key.Id, key.Prefix, key.Name, key.AccountId, key.IsAdmin, key.EffectiveScope, key.Domains ?? [], key.RateLimit, key.Sandbox, key.CreatedAt, key.LastUsedAt);
}

/// <param name="Key">The secret. It is shown only in this response.</param>
public sealed record CreatedApiKey(
    string Id, string Prefix, string Name, string AccountId, string Scope, IReadOnlyList<string> Domains, int? RateLimit, bool Sandbox, DateTimeOffset CreatedAt, string Key);

internal sealed class CreateApiKeyValidator : AbstractValidator<CreateApiKeyRequest>
{
    public const int MaxDomains = 50;

    public CreateApiKeyValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(100).Must(n => n is null || !n.Any(char.IsControl)).WithMessage("must not contain control characters.");
        RuleFor(x => x.AccountId).Must(AccountIds.IsValid).When(x => x.AccountId is not null).WithMessage(AccountIds.Rule);
        RuleFor(x => x.Scope).Must(ApiKeyScopes.IsValid).When(x => x.Scope is not null).WithMessage($"must be one of: {string.Join(", ", ApiKeyScopes.All)}.");
        RuleFor(x => x.Domains).Must(d => d!.Count <= MaxDomains).When(x => x.Domains is not null).WithMessage($"must list at most {MaxDomains} domains.");
        RuleForEach(x => x.Domains).Must(d => DomainNames.TryNormalize(d, out _)).WithMessage("must be a domain name, e.g. acme.example.");
        RuleFor(x => x.RateLimit).InclusiveBetween(1, ApiKeysOptions.MaxRateLimit).When(x => x.RateLimit is not null);
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

        group.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Create an API key (admin)")
            .WithDescription("scope: full (default), send or read; domains: the From domains it may send as; rate_limit: its own requests per window; sandbox: capture its mail instead of delivering it. Keys created before scopes existed have the full scope; admin keys have full and are not rate limited.").WithValidation<CreateApiKeyRequest>();
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
        var key = new ApiKey(id, request.Name!, request.AccountId ?? "acct_" + id["key_".Length..], IsAdmin: false, time.GetUtcNow())
        {
            Prefix = ApiKeySecrets.PrefixOf(secret),
            Scope = request.Scope ?? ApiKeyScopes.Full,
            Domains = request.Domains is { Count: > 0 } domains
                ? [.. domains.Select(d => DomainNames.TryNormalize(d, out var name) ? name : throw new UnreachableException("validated")).Distinct(StringComparer.Ordinal)]
                : null,
            RateLimit = request.RateLimit,
            Sandbox = request.Sandbox,
        };
        await keys.SaveAsync(key, secret, cancellationToken);
        return TypedResults.Created($"/api-keys/{id}", new CreatedApiKey(
            key.Id, key.Prefix, key.Name, key.AccountId, key.EffectiveScope, key.Domains ?? [], key.RateLimit, key.Sandbox, key.CreatedAt, secret));
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
