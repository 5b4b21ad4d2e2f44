using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Http;

namespace SendApi.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>JSON as the API speaks it: snake_case names, enums as strings, no nulls written.</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.DictionaryKeyPolicy = null;
        json.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));

        // Unknown fields are refused, so that a typo ("htm") is an error rather than an empty body.
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;

        // {"text": "a", "text": "b"} is refused rather than read as "b": two parsers (a proxy, a
        // log, SendApi) must never see two different messages in one body.
        json.AllowDuplicateProperties = false;
    }

    /// <summary>Error keys name the JSON fields ("to[0]", "attachments[1].content"), not the C# properties.</summary>
    public static void UseJsonNamesInValidation() =>
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);

    /// <summary>
    /// HTTP as every feature speaks it: JSON (<see cref="ConfigureJson"/>), problem+json for every
    /// error (unreadable bodies go to one exception handler that answers a precise 400), validation
    /// errors keyed by JSON names. Each feature adds its own services and maps its own endpoints.
    /// </summary>
    public static IServiceCollection AddSendApiHttp(this IServiceCollection services)
    {
        services.TryAddTimeProvider();
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        // After AddProblemDetails: the framework's writer goes first, this one takes what it declines.
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        // The store unreachable: 503 with Retry-After, never a 500.
        services.AddExceptionHandler<StorageOutageExceptionHandler>();
        UseJsonNamesInValidation();
        return services;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
