using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// POST /messages/batch on both stores: one result per message in order, the valid ones accepted
/// and delivered whatever the others did, the batch limit, and one Idempotency-Key for the batch.
/// </summary>
public abstract class BatchSendTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const int MaxBatch = 40;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override void Configure(Dictionary<string, string?> settings) => settings["Messages:MaxBatchSize"] = MaxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Tag() => $"t{Guid.NewGuid():N}";

    private static JsonObject Message(string tag, string? to = null, string text = "Hello") => new()
    {
        ["from"] = "a@acme.test",
        ["to"] = new JsonArray(to ?? $"batch-{Guid.NewGuid():N}@example.test"),
        ["subject"] = "Batch",
        ["text"] = text,
        ["tags"] = new JsonArray(tag),
    };

    private async Task<(HttpResponseMessage Response, JsonNode? Body)> PostBatchAsync(JsonArray batch, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/messages/batch") { Content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<int> CountTaggedAsync(string tag) =>
        JsonNode.Parse(await Http.GetStringAsync($"/messages?tag={tag}&limit=100"))!["data"]!.AsArray().Count;

    [Fact]
    public async Task Each_message_gets_its_result_in_order_and_the_valid_ones_are_delivered_whatever_the_others_did()
    {
        var tag = Tag();
        var first = $"first-{Guid.NewGuid():N}@example.test";
        var last = $"last-{Guid.NewGuid():N}@example.test";
        var badAddress = Message(tag, to: "not an address");
        var unknownField = Message(tag);
        unknownField["htm"] = "<p>typo</p>";
        var batch = new JsonArray(Message(tag, first), badAddress, null, unknownField, Message(tag, last), "a string");

        var (response, body) = await PostBatchAsync(batch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = body!.AsArray();
        Assert.Equal(6, results.Count);
        Assert.Equal("queued", (string?)results[0]!["status"]);
        Assert.Equal("queued", (string?)results[4]!["status"]);
        Assert.Equal(400, (int)results[1]!["status"]!);
        Assert.NotNull(results[1]!["errors"]!["[1].to[0]"]);
        Assert.Equal(["must be a message object"], results[2]!["errors"]!["[2]"]!.AsArray().Select(e => (string)e!));
        Assert.Equal(["unknown field"], results[3]!["errors"]!["[3].htm"]!.AsArray().Select(e => (string)e!));
        Assert.NotNull(results[5]!["errors"]!["[5]"]);
        Assert.All([1, 2, 3, 5], i => Assert.Null(results[i]!["id"]));

        await Http.WaitForStatusAsync((string)results[0]!["id"]!, Patience, "delivered");
        await Http.WaitForStatusAsync((string)results[4]!["id"]!, Patience, "delivered");
        Assert.Equal(2, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task A_full_batch_is_accepted_and_one_more_message_is_refused_whole()
    {
        var tag = Tag();
        var full = new JsonArray([.. Enumerable.Range(0, MaxBatch).Select(i => (JsonNode)Message(tag, $"full-{i}-{Guid.NewGuid():N}@nullmx.test"))]);

        var (accepted, results) = await PostBatchAsync(full);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(MaxBatch, results!.AsArray().Select(r => (string?)r!["id"]).Distinct().Count(id => id is not null));

        full.Add(Message(tag));
        var (refused, problem) = await PostBatchAsync(full);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"At most {MaxBatch} messages", (string?)problem!["errors"]!["$"]![0]);
        Assert.Equal(MaxBatch, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task A_body_that_is_not_an_array_of_messages_is_a_problem_not_an_error()
    {
        foreach (var (content, status) in new[]
        {
            (new StringContent("{\"from\":\"a@acme.test\"}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            (new StringContent("[]", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            (new StringContent("[{", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            (new StringContent("[]", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
        })
        {
            using var response = await Http.PostAsync("/messages/batch", content);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task The_same_batch_again_answers_as_the_first_with_Idempotent_Replayed_and_a_different_one_gets_409()
    {
        var tag = Tag();
        var batch = new JsonArray(Message(tag), Message(tag, to: "bad"), Message(tag));

        var (first, firstBody) = await PostBatchAsync(batch, $"batch-{tag}");
        var (again, againBody) = await PostBatchAsync((JsonArray)batch.DeepClone(), $"batch-{tag}");
        batch.RemoveAt(1);
        var (other, problem) = await PostBatchAsync(batch, $"batch-{tag}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(["true"], again.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(firstBody!.ToJsonString(), againBody!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Contains("different request", (string?)problem!["detail"]);
        Assert.Equal(2, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task Parallel_identical_batches_with_one_key_create_each_message_once()
    {
        var tag = Tag();
        var batch = new JsonArray([.. Enumerable.Range(0, 10).Select(_ => (JsonNode)Message(tag, $"par-{Guid.NewGuid():N}@nullmx.test"))]);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostBatchAsync((JsonArray)batch.DeepClone(), $"batch-{tag}")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Response.StatusCode));
        Assert.Single(answers.Select(a => a.Body!.ToJsonString()).Distinct());
        Assert.Equal(10, await CountTaggedAsync(tag));
    }
}

public sealed class EmbeddedBatchSendTests(DeliveryWorld world) : BatchSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisBatchSendTests(DeliveryWorld world) : BatchSendTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
