using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// API keys as the only credential: <c>Authorization: Bearer</c> for the API, an admin policy
    /// for key management, and the bootstrap admin key (<c>Admin__ApiKey</c>, validated at start),
    /// which <see cref="AdminKeyBootstrap"/> stores, revokes or generates when the host starts;
    /// each key's scope on every endpoint of the default policy (<see cref="ScopeRequirement"/>),
    /// and its "last used", noted in memory (<see cref="ApiKeyUsage"/>; <see cref="AddSendApiKeyUsageRecorder"/> writes it).
    /// </summary>
    public static IServiceCollection AddSendApiAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidation>();
        services.AddHostedService<AdminKeyBootstrap>();
        services.AddSingleton<ApiKeyUsage>();
        services.AddSingleton<IAuthorizationHandler>(ScopeRequirement.Instance);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeForbiddenResultHandler>();

        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(ApiKeyDefaults.Scheme).RequireAuthenticatedUser().AddRequirements(ScopeRequirement.Instance).Build())
            .AddPolicy(ApiKeyDefaults.AdminPolicy, p => p.AddAuthenticationSchemes(ApiKeyDefaults.Scheme).RequireRole(ApiKeyDefaults.AdminRole));
        return services;
    }

    /// <summary>The background loop that writes the keys' "last used" to the store (at most once a minute per key).</summary>
    public static IServiceCollection AddSendApiKeyUsageRecorder(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsage>());
        return services;
    }
}
