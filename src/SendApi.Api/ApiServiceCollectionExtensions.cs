using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.ApiKeys;
using SendApi.Api.Features.Captured;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Webhooks;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Suppressions;
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

    public static IServiceCollection AddSendApiHttp(this IServiceCollection services)
    {
        services.TryAddTimeProvider();
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        // After AddProblemDetails: the framework's writer goes first, this one takes what it declines.
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>();
        services.AddExceptionHandler<BadRequestExceptionHandler>();

        services.AddOptions<MessagesOptions>()
            .BindConfiguration(MessagesOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.MessageIdDomain ??= config["Delivery:HeloName"] ?? System.Net.Dns.GetHostName())
            .Validate(o => o.MaxSizeBytes is >= 1024 and <= 1024L * 1024 * 1024, "Messages:MaxSizeBytes (env Messages__MaxSizeBytes) must be between 1 KB and 1 GB.")
            .Validate(o => o.MaxRecipients is >= 1 and <= 1000, "Messages:MaxRecipients (env Messages__MaxRecipients) must be between 1 and 1000.")
            .Validate(o => Uri.CheckHostName(o.MessageIdDomain) == UriHostNameType.Dns, "Messages:MessageIdDomain (env Messages__MessageIdDomain, default Delivery__HeloName) must be a domain name.")
            .ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidation>();
        services.AddHostedService<AdminKeyBootstrap>();

        UseJsonNamesInValidation();
        services.AddScoped<IValidator<SendMessageRequest>, SendMessageValidator>();
        services.AddScoped<IValidator<CreateApiKeyRequest>, CreateApiKeyValidator>();
        services.AddSingleton<MessageComposer>();
        services.AddSendApiWebhooks();
        services.AddSendApiDomains();
        services.AddSendApiSuppressions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, PageOrApiPolicy>());

        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(ApiKeyDefaults.Scheme).RequireAuthenticatedUser().Build())
            .AddPolicy(ApiKeyDefaults.AdminPolicy, p => p.AddAuthenticationSchemes(ApiKeyDefaults.Scheme).RequireRole(ApiKeyDefaults.AdminRole));
        return services;
    }

    public static IEndpointRouteBuilder MapSendApiHttp(this IEndpointRouteBuilder app)
    {
        app.MapMessagesApi();
        app.MapApiKeysApi();
        app.MapWebhooksApi();
        app.MapDomainsApi();
        app.MapSuppressionsApi();
        app.MapInboundApi();
        app.MapCapturedApi();
        return app;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
