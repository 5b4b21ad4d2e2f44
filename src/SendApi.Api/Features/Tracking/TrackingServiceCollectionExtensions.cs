using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Features.Tracking;

public static class TrackingServiceCollectionExtensions
{
    /// <summary>
    /// Unsubscribe links and open/click tracking: the settings (validated at start, naming their
    /// environment variables), the key that signs the links, the intake's personalization step, and
    /// what the public links record. The links are mapped with <see cref="TrackingApi.MapTrackingApi"/>.
    /// </summary>
    public static IServiceCollection AddSendApiTracking(this IServiceCollection services)
    {
        services.AddOptions<TrackingOptions>()
            .BindConfiguration(TrackingOptions.Section)
            .Validate(o => TrackingOptions.IsValidBaseUrl(o.BaseUrl), "Tracking:BaseUrl (env Tracking__BaseUrl) must be an absolute http or https URL without query, fragment or user info (e.g. https://mail.acme.com), the address recipients reach this service at.")
            .Validate(o => o.SigningKey is null || (o.SigningKey.Length >= 32 && !o.SigningKey.Any(char.IsWhiteSpace)), "Tracking:SigningKey (env Tracking__SigningKey) must be at least 32 characters without spaces (e.g. the output of 'openssl rand -hex 32'), or unset to use a generated key.")
            .Validate(o => o.Base is not null || !(o.Unsubscribe || o.Opens || o.Clicks), "Tracking:Unsubscribe, Tracking:Opens and Tracking:Clicks (env Tracking__*) turn links on for every message, and need Tracking:BaseUrl (env Tracking__BaseUrl).")
            .ValidateOnStart();
        services.AddSingleton<TrackingSettings>();
        services.AddSingleton<TrackingSigning>();
        services.AddSingleton<RecipientPersonalizer>();
        services.AddSingleton<EngagementRecorder>();
        return services;
    }
}
