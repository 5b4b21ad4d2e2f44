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
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || Context.GetEndpoint()?.Metadata.GetMetadata<NoAuthentication>() is not null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || header.Length == BearerPrefix.Length)
        {
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
        }

        var key = await keys.FindBySecretAsync(header[BearerPrefix.Length..].Trim(), Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

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
        ];
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
                Detail = result.Failure?.Message ?? "An API key is required: send 'Authorization: Bearer <api key>'.",
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
}
