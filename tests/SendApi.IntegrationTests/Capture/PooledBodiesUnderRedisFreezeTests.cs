using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Capture;

/// <summary>
/// POST /messages and /messages/batch give their bodies' and MIME's pooled buffers back once the
/// store has answered. Redis hung in the middle of many large sends, so that their SETs and accept
/// scripts pile up in the client unwritten: every message that was accepted must still go out with
/// its own body, never with the bytes of a request whose buffer took its place.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class PooledBodiesUnderRedisFreezeTests(DeliveryWorld world) : IClassFixture<DeliveryWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private RedisServer _redis = null!;
    private SendApiApp _app = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _app = WebhookApps.Create(world, new()
        {
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["Storage:Timeout"] = "5s",
            ["Delivery:Mode"] = "capture",
        });
        await _app.Client().SendAsync(new { from = "Acme <orders@acme.test>", to = new[] { "warm@example.test" }, subject = "warm-up", text = "x" });
    }

    public async Task DisposeAsync()
    {
        _redis.Resume();
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static string Body(int i, int round) =>
        string.Concat(Enumerable.Range(0, 900).Select(k => $"round {round} message {i} line {k} {new string((char)('a' + (i % 26)), 60)}\n"));

    [Fact]
    public async Task Every_message_accepted_around_a_hung_redis_goes_out_with_its_own_body()
    {
        var http = _app.Client();
        var sent = new List<(string Id, string Text)>();
        for (var round = 0; round < 3; round++)
        {
            var singles = Enumerable.Range(0, 16).Select(i => (Text: Body(i, round), To: $"one-{round}-{i}-{Guid.NewGuid():N}@example.test")).ToList();
            var batch = Enumerable.Range(16, 6).Select(i => (Text: Body(i, round), To: $"batch-{round}-{i}-{Guid.NewGuid():N}@example.test")).ToList();

            var singleTasks = singles.Select(async s =>
            {
                using var response = await http.PostAsJsonAsync("/messages", new { from = "Acme <orders@acme.test>", to = new[] { s.To }, subject = "pooled", text = s.Text, html = $"<pre>{s.Text}</pre>" });
                return response.StatusCode == HttpStatusCode.Accepted ? ((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!, s.Text) : default;
            }).ToList();
            var batchTask = Task.Run(async () =>
            {
                using var response = await http.PostAsJsonAsync("/messages/batch", batch.Select(b => new { from = "Acme <orders@acme.test>", to = new[] { b.To }, subject = "pooled batch", text = b.Text }).ToArray());
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return new List<(string, string)>();
                }

                var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
                return results.Select((r, k) => (r!["id"] is { } id ? (string)id! : null, batch[k].Text)).Where(r => r.Item1 is not null).Select(r => (r.Item1!, r.Text)).ToList();
            });

            // Hung while the requests are being stored: their commands wait in the client, unwritten.
            await Task.Delay(30 * round);
            _redis.Freeze();
            await Task.Delay(1500);
            _redis.Resume();

            sent.AddRange((await Task.WhenAll(singleTasks)).Where(s => s.Item1 is not null));
            sent.AddRange(await batchTask);
        }

        Assert.True(sent.Count > 0, "No message was accepted at all.");
        foreach (var (id, text) in sent)
        {
            await http.WaitForStatusAsync(id, Patience, "delivered");
            var capture = Assert.Single(await http.CapturesOfAsync(id));
            var raw = await http.GetByteArrayAsync($"/captured/{capture["id"]}/raw");
            var delivered = MimeMessage.Load(new MemoryStream(raw));
            Assert.True(text == delivered.TextBody!.ReplaceLineEndings("\n"), $"Message {id} went out with another text body");
            if (delivered.HtmlBody is { } html)
            {
                Assert.True($"<pre>{text}</pre>" == html.ReplaceLineEndings("\n"), $"Message {id} went out with another html body");
            }
        }
    }

    [Fact]
    public async Task Every_submission_accepted_over_SMTP_around_a_hung_redis_goes_out_with_its_own_body()
    {
        var http = _app.Client();
        var sent = new List<(string Id, string Text)>();
        for (var round = 0; round < 2; round++)
        {
            var submissions = Enumerable.Range(0, 10).Select(async i =>
            {
                var text = Body(i, round);
                var message = new MimeMessage { Subject = "pooled smtp" };
                message.From.Add(MailboxAddress.Parse("orders@acme.test"));
                message.To.Add(MailboxAddress.Parse($"smtp-{round}-{i}-{Guid.NewGuid():N}@example.test"));
                message.Body = new TextPart("plain") { Text = text };
                using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
                await client.ConnectAsync("127.0.0.1", _app.SubmissionPort, SecureSocketOptions.StartTls);
                await client.AuthenticateAsync("apikey", SendApiApp.AdminKey);
                try
                {
                    var reply = await client.SendAsync(message);
                    return (System.Text.RegularExpressions.Regex.Match(reply, "queued as (?<id>[0-9a-f]{32})").Groups["id"].Value, text);
                }
                catch (SmtpCommandException)
                {
                    return default; // 451 while Redis hung: not accepted, nothing to check
                }
            }).ToList();

            await Task.Delay(100 + (50 * round));
            _redis.Freeze();
            await Task.Delay(1500);
            _redis.Resume();
            sent.AddRange((await Task.WhenAll(submissions)).Where(s => !string.IsNullOrEmpty(s.Item1)));
        }

        Assert.True(sent.Count > 0, "No submission was accepted at all.");
        foreach (var (id, text) in sent)
        {
            await http.WaitForStatusAsync(id, Patience, "delivered");
            var capture = Assert.Single(await http.CapturesOfAsync(id));
            var raw = await http.GetByteArrayAsync($"/captured/{capture["id"]}/raw");
            Assert.True(text == MimeMessage.Load(new MemoryStream(raw)).TextBody!.ReplaceLineEndings("\n"), $"Message {id} went out with another body");
        }
    }
}
