using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SendApi.Core.Accounts;

namespace SendApi.Api.Auth;

/// <summary>
/// What a key's scope allows, decided once for every endpoint behind the default policy rather
/// than per feature: <c>full</c> everything; <c>read</c> every GET; <c>send</c> only endpoints
/// marked <see cref="ScopeAuthorizationExtensions.AllowSendScope"/>. A new endpoint is thus
/// closed to <c>send</c> keys, and to <c>read</c> keys when it changes something, until it says otherwise.
/// </summary>
internal sealed class ScopeRequirement : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public static readonly ScopeRequirement Instance = new();

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var scope = context.User.ApiKeyScope();
        var http = context.Resource as HttpContext;
        var allowed = scope switch
        {
            ApiKeyScopes.Full => true,
            ApiKeyScopes.Read => http is not null && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)),
            ApiKeyScopes.Send => http?.GetEndpoint()?.Metadata.GetMetadata<SendScopeAllowed>() is not null,
            _ => false,
        };

        if (allowed)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, scope switch
            {
                ApiKeyScopes.Read => "This API key has the 'read' scope: it may read, not change or send anything.",
                ApiKeyScopes.Send => "This API key has the 'send' scope: it may send messages and read the ones it sent, nothing else.",
                _ => $"This API key's scope '{scope}' does not allow this.",
            }));
        }

        return Task.CompletedTask;
    }
}

/// <summary>Endpoint metadata: a <c>send</c>-scoped key may call it.</summary>
public sealed class SendScopeAllowed
{
    internal static readonly SendScopeAllowed Instance = new();

    private SendScopeAllowed()
    {
    }
}

public static class ScopeAuthorizationExtensions
{
    /// <summary>Opens the endpoint to keys with the <c>send</c> scope (sending, and reading what they sent).</summary>
    public static TBuilder AllowSendScope<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(SendScopeAllowed.Instance);
}

/// <summary>
/// Words a scope refusal as a 403 problem that says which scope the key has and what it allows;
/// every other outcome is answered as before (the scheme's challenge and forbid).
/// </summary>
internal sealed class ScopeForbiddenResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault(r => r.Handler is ScopeRequirement) is { } reason)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = reason.Message },
            });
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
