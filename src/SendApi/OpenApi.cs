using Microsoft.OpenApi;
using SendApi.Api;

namespace SendApi;

/// <summary>
/// Swagger UI at /swagger and the document at /swagger/v1/swagger.json. The committed copy in
/// openapi/sendapi.json is checked against it by a test.
/// </summary>
internal static class OpenApi
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddSendApiOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => ApiServiceCollectionExtensions.ConfigureJson(o.JsonSerializerOptions));
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "SendApi",
                Version = "v1",
                Description = "Transactional email: queue messages over HTTP and follow their delivery.",
            });
            swagger.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: 'Authorization: Bearer <api key>'.",
            });
            swagger.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("bearer", document)] = [],
            });
            swagger.SupportNonNullableReferenceTypes();
            swagger.IncludeXmlComments(typeof(ApiServiceCollectionExtensions).Assembly);
        });
        return services;
    }

    public static WebApplication UseSendApiOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(ui => ui.DocumentTitle = "SendApi API");
        return app;
    }
}
