using System.Text.Json;
using System.Text.Json.Serialization;
using SendApi.Core.Webhooks;

namespace SendApi.Webhooks;

/// <summary>The body every endpoint receives: <c>{"type", "created_at", "data"}</c> in snake_case, without nulls.</summary>
internal static class WebhookPayload
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(WebhookEvent e) => JsonSerializer.Serialize(new Body(e.Type, e.CreatedAt, e.Data), Json);

    // Data is declared as object so that each event's own record is written with its own fields.
    private sealed record Body(string Type, DateTimeOffset CreatedAt, object Data);
}
