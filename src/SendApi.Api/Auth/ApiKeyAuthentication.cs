using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Accounts;

namespace SendApi.Api.Auth;

public static class ApiKeyDefaults
{
    public const string Scheme = "ApiKey";
    public const string AccountClaim = "sendapi:account";
    public const string KeyIdClaim = "sendapi:key";
    public const string ScopeClaim = "sendapi:scope";
    public const string DomainClaim = "sendapi:domain";
    public const string SandboxClaim = "sendapi:sandbox";
    public const string RateLimitClaim = "sendapi:rate_limit";
    public const string AdminRole = "admin";
    public const string AdminPolicy = "Admin";
}

/// <summary>
/// <c>Authorization: Bearer &lt;api key&gt;</c>. Challenges and refusals are answered with problem
/// details so clients get the same error shape everywhere.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IApiKeyStore keys,
    ApiKeyUsage usage,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var endpoint = Context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<NoAuthentication>() is not null)
        {
            return AuthenticateResult.NoResult();
        }

        string? secret;
        if (endpoint?.Metadata.GetMetadata<ApiKeyHeader>() is { } own && Request.Headers[own.Name].ToString() is { Length: > 0 } value)
        {
            secret = value.Trim();
        }
        else
        {
            string? header = Request.Headers.Authorization;
            if (string.IsNullOrEmpty(header))
            {
                return AuthenticateResult.NoResult();
            }

            if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || header.Length == BearerPrefix.Length)
            {
                return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
            }

            secret = header[BearerPrefix.Length..].Trim();
        }

        var key = await keys.FindBySecretAsync(secret, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        usage.Note(key.Id);
        return AuthenticateResult.Success(new AuthenticationTicket(ToPrincipal(key), Scheme.Name));
    }

    internal static ClaimsPrincipal ToPrincipal(ApiKey key)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, key.Id),
            new(ClaimTypes.Name, key.Name),
            new(ApiKeyDefaults.KeyIdClaim, key.Id),
            new(ApiKeyDefaults.AccountClaim, key.AccountId),
            new(ApiKeyDefaults.ScopeClaim, key.EffectiveScope),
        ];
        claims.AddRange((key.Domains ?? []).Select(d => new Claim(ApiKeyDefaults.DomainClaim, d)));
        if (key.Sandbox)
        {
            claims.Add(new Claim(ApiKeyDefaults.SandboxClaim, "true"));
        }

        if (key.RateLimit is { } rateLimit)
        {
            claims.Add(new Claim(ApiKeyDefaults.RateLimitClaim, rateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (key.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, ApiKeyDefaults.AdminRole));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyDefaults.Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await Context.AuthenticateAsync(Scheme.Name);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure?.Message ?? (Context.GetEndpoint()?.Metadata.GetMetadata<ApiKeyHeader>() is { } own
                    ? $"An API key is required: send '{own.Name}: <api key>'."
                    : "An API key is required: send 'Authorization: Bearer <api key>'."),
            },
        });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = "This API key may not do that; an admin key is required.",
            },
        }).AsTask();
    }
}

public static class ClaimsPrincipalExtensions
{
    public static string AccountId(this ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyDefaults.AccountClaim)?.Value ?? throw new InvalidOperationException("Request is not authenticated with an API key.");

    public static string KeyId(this ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyDefaults.KeyIdClaim)?.Value ?? throw new InvalidOperationException("Request is not authenticated with an API key.");

    /// <summary>The key's scope (<see cref="ApiKeyScopes"/>); <c>full</c> for a principal without one.</summary>
    public static string ApiKeyScope(this ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyDefaults.ScopeClaim)?.Value ?? ApiKeyScopes.Full;

    /// <summary>What the intake needs to know of the key that sends: who it is, where it may send from, whether it is a sandbox key.</summary>
    public static SendingKey SendingKey(this ClaimsPrincipal user) =>
        new(user.KeyId(),
            [.. user.FindAll(ApiKeyDefaults.DomainClaim).Select(c => c.Value)],
            user.HasClaim(ApiKeyDefaults.SandboxClaim, "true"));
}
