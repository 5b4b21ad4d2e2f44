using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SendApi.Api.Auth;
using SendApi.Core.Diagnostics;

namespace SendApi.Hosting;

/// <summary>
/// Metrics for Prometheus: the <see cref="SendApiMetrics"/> meter exported through OpenTelemetry,
/// configured once here (as eShop's ServiceDefaults do), and served as Prometheus text at
/// <c>Metrics__Path</c>: to an admin key by default, to anyone only with <c>Metrics__AllowAnonymous=true</c>.
/// </summary>
internal static partial class MetricsEndpoint
{
    public static IServiceCollection AddSendApiMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidation>();
        services.AddMetrics();
        services.TryAddSingleton<SendApiMetrics>();
        // Named, so target_info says which service this is rather than "unknown_service:dotnet".
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("sendapi")).WithMetrics(metrics => metrics
            .AddMeter(SendApiMetrics.MeterName)
            .AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapSendApiMetrics(this WebApplication app)
    {
        // Made now, not at the first message: the queue gauges exist from the start.
        app.Services.GetRequiredService<SendApiMetrics>();

        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (options.Path.Length == 0)
        {
            return app;
        }

        var endpoint = app.MapPrometheusScrapingEndpoint(options.Path).ExcludeFromDescription();
        if (options.AllowAnonymous)
        {
            LogAnonymous(app.Logger, options.Path);
        }
        else
        {
            endpoint.RequireAuthorization(ApiKeyDefaults.AdminPolicy);
        }

        return app;
    }

    // Log event ids 30-39 (the host's range is 1-999, see docs/logging.md); next free: 31.
    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Metrics are served at {Path} without a key (Metrics__AllowAnonymous=true): keep the HTTP listener out of reach of anyone but the monitoring network")]
    private static partial void LogAnonymous(ILogger logger, string path);
}

/// <summary>Bad metrics settings stop the start, naming the variable.</summary>
internal sealed class MetricsOptionsValidation : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var errors = new List<string>();
        if (options.Path.Length > 0 && (!options.Path.StartsWith('/') || options.Path.Contains('?', StringComparison.Ordinal) || options.Path.Contains('#', StringComparison.Ordinal)))
        {
            errors.Add($"Metrics:Path (env Metrics__Path) must be a path starting with '/', or empty to serve no metrics; it is '{options.Path}'.");
        }

        if (options.MaxDomains is < 0 or > 1000)
        {
            errors.Add($"Metrics:MaxDomains (env Metrics__MaxDomains) must be between 0 and 1000; it is {options.MaxDomains}.");
        }

        foreach (var domain in options.Domains.Where(d => Uri.CheckHostName(d) != UriHostNameType.Dns))
        {
            errors.Add($"Metrics:Domains (env Metrics__Domains__N) must list domain names; '{domain}' is not one.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
