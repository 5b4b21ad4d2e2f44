using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// Idempotency-Key on every way in, on both stores: a retry answers as the first request did and
/// says it is a replay; the same key with another request is refused; parallel retries create one message.
/// </summary>
public abstract class IdempotencyTests(DeliveryWorld world) : OnBothStorages(world)
{
    private static object Message(string tag, string text = "Hello") =>
        new { from = "a@acme.test", to = new[] { $"idem-{Guid.NewGuid():N}@example.test" }, subject = "Idempotent", text, tags = new[] { tag } };

    private static string Tag() => $"t{Guid.NewGuid():N}";

    private async Task<HttpResponseMessage> PostAsync(string path, JsonContent content, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Idempotency-Key", key);
        return await Http.SendAsync(request);
    }

    private async Task<int> CountTaggedAsync(string tag) =>
        JsonNode.Parse(await Http.GetStringAsync($"/messages?tag={tag}&limit=100"))!["data"]!.AsArray().Count;

    [Fact]
    public async Task The_same_body_again_answers_the_first_message_with_Idempotent_Replayed_true()
    {
        var tag = Tag();
        var body = Message(tag);

        using var first = await PostAsync("/messages", JsonContent.Create(body), $"order-{tag}");
        using var again = await PostAsync("/messages", JsonContent.Create(body), $"order-{tag}");

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, again.StatusCode));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(["true"], again.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.Equal(1, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task A_used_key_with_a_different_body_is_refused_with_409_saying_so()
    {
        var tag = Tag();
        using var first = await PostAsync("/messages", JsonContent.Create(Message(tag, "first")), $"order-{tag}");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var other = await PostAsync("/messages", JsonContent.Create(Message(tag, "second")), $"order-{tag}");

        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await other.Content.ReadAsStringAsync())!;
        Assert.Contains("different request", (string?)problem["detail"]);
        Assert.Contains($"order-{tag}", (string?)problem["detail"]);
        Assert.Equal(1, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task Parallel_identical_requests_create_one_message()
    {
        var tag = Tag();
        var body = Message(tag);

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => PostAsync("/messages", JsonContent.Create(body), $"order-{tag}")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (string)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["id"]!));
        Assert.Single(ids.Distinct());
        Assert.Single(responses, r => !r.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await CountTaggedAsync(tag));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Parallel_requests_with_one_key_and_different_bodies_create_one_message_and_refuse_the_rest()
    {
        var tag = Tag();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => PostAsync("/messages", JsonContent.Create(Message(tag, $"body {i}")), $"order-{tag}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(1, await CountTaggedAsync(tag));
    }

    [Fact]
    public async Task Over_smtp_a_resubmitted_message_is_the_first_and_a_different_one_with_the_key_gets_554()
    {
        var to = $"smtp-idem-{Guid.NewGuid():N}@example.test";
        MimeMessage Message(string text)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("a@acme.test"));
            message.To.Add(MailboxAddress.Parse(to));
            message.Subject = "idempotent over SMTP";
            message.MessageId = "fixed-id@acme.test";
            message.Date = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
            message.Headers.Add("Idempotency-Key", $"smtp-{to}");
            message.Body = new TextPart("plain") { Text = text };
            return message;
        }

        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", App.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);

        var first = await client.SendAsync(Message("one"));
        var again = await client.SendAsync(Message("one"));
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("two")));

        Assert.Equal(first, again);
        Assert.Equal((554, "5.5.0"), ((int)refused.StatusCode, refused.Message[..5]));
        Assert.Contains("different request", refused.Message);
    }
}

public sealed class EmbeddedIdempotencyTests(DeliveryWorld world) : IdempotencyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisIdempotencyTests(DeliveryWorld world) : IdempotencyTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
