using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Auth.RateLimits;

public static class RateLimitServiceCollectionExtensions
{
    /// <summary>
    /// The per-key rate limit (<c>ApiKeys:*</c>, validated at start) as ASP.NET Core's rate
    /// limiter with <see cref="ApiKeyRateLimiter"/> as its global limiter; a refusal is a 429
    /// problem with <c>Retry-After</c> and the RateLimit fields. SMTP submission counts in the
    /// same windows through <see cref="ApiKeyRateLimits"/>.
    /// </summary>
    public static IServiceCollection AddSendApiRateLimits(this IServiceCollection services)
    {
        services.AddOptions<ApiKeysOptions>().BindConfiguration(ApiKeysOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeysOptions>, ApiKeysOptionsValidation>();
        services.AddSingleton<ApiKeyRateLimits>();
        services.AddSingleton<ApiKeyRateLimiter>();
        services.AddOptions<RateLimiterOptions>().Configure<ApiKeyRateLimiter>((options, limiter) =>
        {
            options.GlobalLimiter = limiter;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = WriteRejectionAsync;
        });
        services.AddRateLimiter(_ => { });
        return services;
    }

    /// <summary>After authentication and authorization: the key is known, and refused requests don't count.</summary>
    public static IApplicationBuilder UseSendApiRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    private static async ValueTask WriteRejectionAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        if (context.Lease is not WindowLease { Decision: { } decision })
        {
            return;
        }

        var http = context.HttpContext;
        decision.WriteHeaders(http.Response.Headers);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Rate limit exceeded.",
                Detail = $"This API key may make {decision.Limit} requests per {(long)decision.Window.TotalSeconds} s; try again in {decision.ResetSeconds} s.",
            },
        });
    }
}
