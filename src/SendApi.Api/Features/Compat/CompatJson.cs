using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using SendApi.Api.Http;

namespace SendApi.Api.Features.Compat;

/// <summary>A provider's request body as read: the value, or why it could not be read.</summary>
/// <param name="NotJson">The Content-Type is not JSON.</param>
/// <param name="SyntaxError">The body is not JSON at all (the reader's message).</param>
/// <param name="FieldErrors">The body is JSON that does not fit the provider's request (unknown field, wrong type), keyed by JSON path in the provider's names.</param>
internal sealed record CompatBody<T>(T? Value, bool NotJson = false, string? SyntaxError = null, IReadOnlyDictionary<string, string[]>? FieldErrors = null)
    where T : class;

/// <summary>
/// JSON as each provider spells it, read by the compatibility routes themselves rather than by
/// parameter binding: a body that does not fit is answered in the provider's error shape, with
/// the field named as the provider names it, not as a problem+json of ours.
/// </summary>
internal static class CompatJson
{
    /// <summary>Our rules (unknown and duplicate fields refused, nulls not written) with the provider's names.</summary>
    public static JsonSerializerOptions Options(JsonNamingPolicy? naming, bool caseInsensitive = false)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServiceCollectionExtensions.ConfigureJson(options);
        options.PropertyNamingPolicy = naming;
        options.PropertyNameCaseInsensitive = caseInsensitive;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static async Task<CompatBody<T>> ReadAsync<T>(HttpContext context, JsonSerializerOptions options)
        where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return new CompatBody<T>(null, NotJson: true);
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, options, context.RequestAborted);
            return value is null
                ? new CompatBody<T>(null, FieldErrors: new Dictionary<string, string[]> { ["$"] = ["must not be null"] })
                : new CompatBody<T>(value);
        }
        catch (JsonException ex)
        {
            return JsonBodyErrors.Describe(ex, typeof(T), options) is { } errors
                ? new CompatBody<T>(null, FieldErrors: errors)
                : new CompatBody<T>(null, SyntaxError: ex.InnerException?.Message ?? ex.Message);
        }
    }
}
