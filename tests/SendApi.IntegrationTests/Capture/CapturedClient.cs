using System.Net;
using System.Text.Json.Nodes;

namespace SendApi.IntegrationTests.Capture;

/// <summary>The /captured calls the tests make, as an API client would, reading raw JSON.</summary>
internal static class CapturedClient
{
    public static async Task<JsonNode> ListCapturedAsync(this HttpClient client, string query = "")
    {
        using var response = await client.GetAsync("/captured" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /captured{query} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The listed captures of one message (newest first).</summary>
    public static async Task<IReadOnlyList<JsonNode>> CapturesOfAsync(this HttpClient client, string messageId) =>
        [.. (await client.ListCapturedAsync("?limit=500"))["data"]!.AsArray().Where(c => (string?)c!["message_id"] == messageId).Select(c => c!)];

    public static async Task<JsonNode> GetCapturedAsync(this HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/captured/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /captured/{id} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    public static IReadOnlyList<string> Strings(this JsonNode? array) => [.. array!.AsArray().Select(s => (string)s!)];
}
