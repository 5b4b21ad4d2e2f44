using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SendApi.IntegrationTests.Harness;

/// <summary>The calls the tests make, as a client of the HTTP API would, reading raw JSON.</summary>
internal static class Api
{
    public static async Task<string> SendAsync(this HttpClient client, object message, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/messages") { Content = JsonContent.Create(message) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /messages answered {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!;
        Assert.Equal("queued", (string?)json["status"]);
        return (string)json["id"]!;
    }

    public static async Task<JsonNode> GetMessageAsync(this HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/messages/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /messages/{id} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Polls the status API until the message's status is one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonNode> WaitForStatusAsync(this HttpClient client, string id, TimeSpan timeout, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode message;
        do
        {
            message = await client.GetMessageAsync(id);
            if (statuses.Contains((string?)message["status"]))
            {
                return message;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Message {id} did not reach {string.Join("/", statuses)} within {timeout}: {message.ToJsonString(new JsonSerializerOptions { WriteIndented = true })}");
    }

    public static JsonNode Recipient(this JsonNode message, string address) =>
        message["recipients"]!.AsArray().Single(r => (string?)r!["address"] == address)!;

    public static IReadOnlyList<JsonNode> Events(this JsonNode message, string type) =>
        [.. message["events"]!.AsArray().Where(e => (string?)e!["type"] == type).Select(e => e!)];
}
