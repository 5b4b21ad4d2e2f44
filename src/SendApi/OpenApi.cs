using System.Text.Json;
using Microsoft.OpenApi;
using SendApi.Api;
using SendApi.Api.Http;
using Swashbuckle.AspNetCore.SwaggerGen;

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
                // Swagger UI renders descriptions as Markdown: a bare <api key> would be taken for
                // an HTML tag and vanish, so the header is a code span.
                Description = "An API key, sent as `Authorization: Bearer <api key>`.",
            });
            swagger.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("bearer", document)] = [],
            });
            swagger.SupportNonNullableReferenceTypes();

            // A batch result is one of two shapes (no discriminator: an accepted one has an id, a
            // refused one is a problem object); only that union is polymorphic in the API.
            swagger.UseOneOfForPolymorphism();
            swagger.SelectSubTypesUsing(type => type == typeof(SendApi.Api.Features.Messages.BatchItemResult)
                ? [typeof(SendApi.Api.Features.Messages.BatchMessageAccepted), typeof(SendApi.Api.Features.Messages.BatchMessageProblem)]
                : []);
            swagger.IncludeXmlComments(typeof(ApiServiceCollectionExtensions).Assembly);
            swagger.AddRequestBodyFilterInstance(new RequestExampleFilter());
            swagger.AddOperationFilterInstance(new QueryParameterFilter());
            swagger.AddOperationFilterInstance(new RawBodyFilter());
        });
        return services;
    }

    public static WebApplication UseSendApiOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(ui => ui.DocumentTitle = "SendApi API");
        return app;
    }

    /// <summary>
    /// Puts <see cref="RequestExamples"/> on the request bodies, in the API's own JSON spelling:
    /// Swagger UI's "Try it out" starts from the body's example.
    /// </summary>
    private sealed class RequestExampleFilter : IRequestBodyFilter
    {
        private readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

        public RequestExampleFilter() => ApiServiceCollectionExtensions.ConfigureJson(_json);

        public void Apply(IOpenApiRequestBody requestBody, RequestBodyFilterContext context)
        {
            if (context.BodyParameterDescription?.Type is not { } type || !RequestExamples.ByType.TryGetValue(type, out var example))
            {
                return;
            }

            foreach (var media in requestBody.Content?.Values ?? [])
            {
                if (media is OpenApiMediaType concrete)
                {
                    concrete.Example = JsonSerializer.SerializeToNode(example, type, _json);
                }
            }
        }
    }

    /// <summary>Documents the bodies a handler reads itself (<see cref="RequestExamples.RawBodies"/>): their media type, a string schema and an example.</summary>
    private sealed class RawBodyFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (operation.OperationId is not { } id || !RequestExamples.RawBodies.TryGetValue(id, out var body))
            {
                return;
            }

            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [body.MediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = System.Text.Json.Nodes.JsonValue.Create(body.Example) },
                },
            };
        }
    }

    /// <summary>Puts <see cref="QueryParameterDocs"/> on the query parameters: description, type, format, allowed values and an example.</summary>
    private sealed class QueryParameterFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (operation.OperationId is not { } id || !QueryParameterDocs.ByOperation.TryGetValue(id, out var docs))
            {
                return;
            }

            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                if (parameter.Name is not { } name || !docs.TryGetValue(name, out var doc))
                {
                    continue;
                }

                parameter.Description = doc.Description;
                parameter.Example = doc.Example is null ? null
                    : doc.Type == "integer" ? System.Text.Json.Nodes.JsonValue.Create(int.Parse(doc.Example, System.Globalization.CultureInfo.InvariantCulture))
                    : System.Text.Json.Nodes.JsonValue.Create(doc.Example);
                parameter.Schema = new OpenApiSchema
                {
                    Type = doc.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String,
                    Format = doc.Format,
                    Enum = doc.Values is null ? null : [.. doc.Values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))],
                };
            }
        }
    }
}
