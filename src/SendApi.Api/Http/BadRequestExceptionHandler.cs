using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace SendApi.Api.Http;

/// <summary>
/// Malformed JSON, a body that does not fit the request (unknown or duplicate fields, wrong
/// types), a body that is not JSON, or one over the size limit surface as
/// <see cref="BadHttpRequestException"/>; answer them as problem details that say what was wrong,
/// by JSON path, without the .NET names the framework's messages carry (its default is an empty 400).
/// A body in a charset .NET cannot decode is a 415 too (the framework throws a plain
/// <see cref="InvalidOperationException"/> for it, which would be a 500).
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems, IOptions<HttpJsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is InvalidOperationException && UnreadableCharset(httpContext.Request) is { } charset)
        {
            httpContext.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                Exception = exception,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Title = "Unsupported media type.",
                    Detail = $"The body's charset '{charset}' is not one this server reads; send JSON as UTF-8 ('Content-Type: application/json').",
                },
            });
        }

        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = Describe(httpContext, bad),
        });
    }

    private ProblemDetails Describe(HttpContext httpContext, BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException error)
        {
            // The exception handler has cleared the request's endpoint; its feature keeps it.
            var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
            var requestType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            return JsonBodyErrors.Describe(error, requestType, json.Value.SerializerOptions) is { } errors
                ? new HttpValidationProblemDetails(errors) { Status = bad.StatusCode, Title = "The request is invalid." }
                : new ProblemDetails
                {
                    Status = bad.StatusCode,
                    Title = "The request body is not valid JSON.",
                    Detail = $"The body is not valid JSON: {error.InnerException!.Message}",
                };
        }

        if (bad.StatusCode == StatusCodes.Status400BadRequest && httpContext.Request.ContentLength == 0)
        {
            // The framework says "Implicit body inferred for parameter … Did you mean to use a Service instead?".
            return new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = "The request has no body.",
                Detail = "This request takes a JSON object as its body ('Content-Type: application/json'); see /swagger.",
            };
        }

        return bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = "The request body is too large.",
                Detail = bad.Message,
            },
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType(httpContext),
            _ => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = "The request could not be read.",
                Detail = WithoutTypeNames(bad.Message),
            },
        };
    }

    /// <summary>
    /// The framework quotes a parameter as <c>"&lt;.NET type&gt; &lt;name&gt;"</c> (<c>Failed to bind
    /// parameter "Nullable&lt;int&gt; limit" from "abc".</c>); a client needs only the name.
    /// </summary>
    private static string WithoutTypeNames(string message)
    {
        var open = message.IndexOf('"', StringComparison.Ordinal);
        var close = open < 0 ? -1 : message.IndexOf('"', open + 1);
        var space = close < 0 ? -1 : message.LastIndexOf(' ', close, close - open);
        return space <= open ? message : message[..(open + 1)] + message[(space + 1)..];
    }

    /// <summary>
    /// The request's charset parameter when .NET has no decoder for it (an unknown name, or UTF-7,
    /// which .NET refuses); null when there is none or it is readable. Looked up as the framework
    /// looks it up to transcode a JSON body.
    /// </summary>
    private static string? UnreadableCharset(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.Charset.Length == 0)
        {
            return null;
        }

        var charset = type.Charset.ToString().Trim('"');
        try
        {
            _ = Encoding.GetEncoding(charset);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return charset;
        }
    }

    public static ProblemDetails UnsupportedMediaType(HttpContext httpContext) => new()
    {
        Status = StatusCodes.Status415UnsupportedMediaType,
        Title = "Unsupported media type.",
        Detail = $"The body must be JSON sent with 'Content-Type: application/json'{(httpContext.Request.ContentType is { Length: > 0 } type ? $", not '{type}'" : "")}.",
    };
}
