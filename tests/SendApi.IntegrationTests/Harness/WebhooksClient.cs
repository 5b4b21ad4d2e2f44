using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SendApi.IntegrationTests.Harness;

/// <summary>The webhook calls the tests make, as an API client would, reading raw JSON.</summary>
internal static class WebhooksClient
{
    public static readonly string[] MessageEvents = ["message.queued", "message.delivered", "message.deferred", "message.failed"];

    /// <summary>POST /webhooks; returns the id and the secret.</summary>
    public static async Task<(string Id, string Secret)> CreateWebhookAsync(this HttpClient client, string url, params string[] events)
    {
        using var response = await client.PostAsJsonAsync("/webhooks", new { url, events = events.Length == 0 ? MessageEvents : events });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /webhooks answered {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!;
        return ((string)json["id"]!, (string)json["secret"]!);
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    public static async Task<JsonArray> DeliveriesAsync(this HttpClient client, string webhookId) =>
        (await client.GetJsonAsync($"/webhooks/{webhookId}/deliveries"))["data"]!.AsArray();

    /// <summary>Polls the delivery log until one delivery satisfies <paramref name="condition"/>.</summary>
    public static async Task<JsonNode> WaitForDeliveryAsync(this HttpClient client, string webhookId, Func<JsonNode, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonArray deliveries;
        do
        {
            deliveries = await client.DeliveriesAsync(webhookId);
            if (deliveries.FirstOrDefault(d => condition(d!)) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"No delivery of {webhookId} became {what} within {timeout}: {deliveries.ToJsonString()}");
    }
}
