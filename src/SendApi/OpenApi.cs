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

            // text and html are JSON strings; the type that holds them as UTF-8 is not the API's.
            swagger.MapType<SendApi.Api.Features.Messages.BodyContent>(() => new OpenApiSchema { Type = JsonSchemaType.String });

            // A batch result is one of two shapes (no discriminator: an accepted one has an id, a
            // refused one is a problem object); only that union is polymorphic in the API.
            swagger.UseOneOfForPolymorphism();
            swagger.SelectSubTypesUsing(type => type == typeof(SendApi.Api.Features.Messages.BatchItemResult)
                ? [typeof(SendApi.Api.Features.Messages.BatchMessageAccepted), typeof(SendApi.Api.Features.Messages.BatchMessageProblem)]
                : []);
            swagger.IncludeXmlComments(typeof(ApiServiceCollectionExtensions).Assembly);
            swagger.AddRequestBodyFilterInstance(new RequestExampleFilter());
            swagger.AddOperationFilterInstance(new QueryParameterFilter());
            swagger.AddOperationFilterInstance(new RateLimitResponseFilter());
            swagger.AddOperationFilterInstance(new RawBodyFilter());
            swagger.AddOperationFilterInstance(new PublicEndpointFilter());
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

    /// <summary>Endpoints that read no API key (the links in sent mail) say so: no security requirement.</summary>
    private sealed class PublicEndpointFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<SendApi.Api.Auth.NoAuthentication>().Any())
            {
                operation.Security = [];
            }
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

    /// <summary>
    /// The per-key rate limit applies to every authenticated operation (the rate limiter's global
    /// limiter, not an endpoint's metadata), so its 429 and headers are added here, where the
    /// operation answers 401, rather than repeated on every endpoint.
    /// </summary>
    private sealed class RateLimitResponseFilter : IOperationFilter
    {
        private const string ComponentName = "RateLimited";

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (operation.Responses is not { } responses || !responses.TryGetValue("401", out var unauthorized))
            {
                return;
            }

            var content = new Dictionary<string, OpenApiMediaType>();
            foreach (var (type, media) in unauthorized.Content ?? new Dictionary<string, IOpenApiMediaType>())
            {
                content[type] = new OpenApiMediaType
                {
                    Schema = media.Schema,
                    Example = new System.Text.Json.Nodes.JsonObject
                    {
                        ["title"] = "Rate limit exceeded.",
                        ["status"] = 429,
                        ["detail"] = "This API key may make 1200 requests per 60 s; try again in 17 s.",
                    },
                };
            }

            var components = context.Document.Components ??= new OpenApiComponents();
            components.Responses ??= new Dictionary<string, IOpenApiResponse>();
            if (!components.Responses.ContainsKey(ComponentName))
            {
                components.Responses[ComponentName] = new OpenApiResponse
                {
                    Description = "The API key is over its rate limit (rate_limit on the key, else ApiKeys:RateLimit per ApiKeys:RateLimitWindow); admin keys are not limited.",
                    Content = content.ToDictionary(e => e.Key, e => (IOpenApiMediaType)e.Value),
                    Headers = new Dictionary<string, IOpenApiHeader>
                    {
                        ["Retry-After"] = Header("Seconds until the key's window resets.", "17"),
                        ["RateLimit-Policy"] = Header("The key's quota (IETF draft-ietf-httpapi-ratelimit-headers): q requests per w seconds. On every response of a limited key.", "\"per-key\";q=1200;w=60"),
                        ["RateLimit"] = Header("What is left of it: r requests, t seconds until the window resets. On every response of a limited key.", "\"per-key\";r=0;t=17"),
                    },
                };
            }

            responses["429"] = new OpenApiResponseReference(ComponentName, context.Document);
        }

        private static OpenApiHeader Header(string description, string example) => new()
        {
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = System.Text.Json.Nodes.JsonValue.Create(example),
        };
    }
}
