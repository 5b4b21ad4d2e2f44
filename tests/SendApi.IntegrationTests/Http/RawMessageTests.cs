using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.Http;

/// <summary>
/// POST /messages/raw on both stores: a message the client built, taken as SMTP submission takes
/// it (envelope, SendApi headers, Bcc, smuggling rules, limits) and delivered to the MX.
/// </summary>
public abstract class RawMessageTests(DeliveryWorld world) : OnBothStorages(world)
{
    private const int MaxSize = 64 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override void Configure(Dictionary<string, string?> settings) => settings["Messages:MaxSizeBytes"] = MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Unique(string local) => $"{local}-{Guid.NewGuid():N}@example.test";

    private static byte[] Crlf(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, buffer);
        return buffer.ToArray();
    }

    private static MimeMessage Message(string to, string text = "Hello, raw")
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme", "orders@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Built by the client";
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    private async Task<(HttpResponseMessage Response, JsonNode? Body)> PostRawAsync(byte[] body, string contentType = "message/rfc822", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/messages/raw") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task The_envelope_comes_from_the_messages_own_headers_and_bcc_and_sendapi_headers_are_stripped()
    {
        var (to, cc, hidden) = (Unique("bob"), Unique("carol"), Unique("audit"));
        var message = Message(to);
        message.Cc.Add(MailboxAddress.Parse(cc));
        message.Bcc.Add(MailboxAddress.Parse(hidden));
        message.Headers.Add("X-SendApi-Tags", "raw, orders");
        message.Headers.Add("X-SendApi-Metadata-order_id", "77");

        var (response, body) = await PostRawAsync(Crlf(message));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)body!["id"]!;
        var received = (await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(to)))[0];
        Assert.Equal([to, cc, hidden], received.RcptTos);
        var delivered = received.Parse();
        Assert.Equal("Built by the client", delivered.Subject);
        Assert.DoesNotContain(delivered.Headers, h => h.Id == HeaderId.Bcc || h.Field.StartsWith("X-SendApi", StringComparison.OrdinalIgnoreCase));
        var status = await Http.WaitForStatusAsync(id, Patience, "delivered");
        Assert.Equal(["raw", "orders"], status["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("77", (string?)status["metadata"]!["order_id"]);
        Assert.Equal("bcc", (string?)status.Recipient(hidden)["type"]);
    }

    [Fact]
    public async Task X_SendApi_request_headers_give_the_envelope_and_options_over_the_messages_headers()
    {
        var (named, actual) = (Unique("named"), Unique("actual"));

        var (response, body) = await PostRawAsync(Crlf(Message(named)), "message/rfc822",
            ("X-SendApi-From", "bounces@acme.test"), ("X-SendApi-To", actual), ("X-SendApi-Tags", "from-request"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = (await World.Mx1.WaitForMessagesAsync(1, Patience, m => m.RcptTos.Contains(actual)))[0];
        Assert.Equal([actual], received.RcptTos);
        var status = await Http.WaitForStatusAsync((string)body!["id"]!, Patience, "delivered");
        Assert.Equal(["from-request"], status["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("bcc", (string?)status.Recipient(actual)["type"]);
    }

    [Fact]
    public async Task Smuggling_long_lines_wrong_types_and_oversize_bodies_are_problems_and_nothing_is_queued()
    {
        var valid = Encoding.ASCII.GetString(Crlf(Message(Unique("x"))));
        var cases = new (byte[] Body, string ContentType, HttpStatusCode Status, string Says)[]
        {
            (Encoding.ASCII.GetBytes(valid.Replace("\r\n", "\n", StringComparison.Ordinal)), "message/rfc822", HttpStatusCode.BadRequest, "bare CR or LF"),
            (Encoding.ASCII.GetBytes(valid + "\n.\nRCPT TO:<evil@example.test>\r\n"), "message/rfc822", HttpStatusCode.BadRequest, "bare CR or LF"),
            (Encoding.ASCII.GetBytes(valid + new string('a', 1001) + "\r\n"), "message/rfc822", HttpStatusCode.BadRequest, "longer than 1000"),
            (Encoding.ASCII.GetBytes(valid), "text/plain", HttpStatusCode.UnsupportedMediaType, "message/rfc822"),
            ([], "message/rfc822", HttpStatusCode.BadRequest, "no body"),
            (Crlf(Message(Unique("big"), new string('a', 70) + string.Concat(Enumerable.Repeat("\n" + new string('b', 70), MaxSize / 70)))), "message/rfc822", HttpStatusCode.RequestEntityTooLarge, "limit"),
        };

        foreach (var (body, contentType, status, says) in cases)
        {
            var (response, problem) = await PostRawAsync(body, contentType);
            Assert.True(status == response.StatusCode, $"{says}: answered {(int)response.StatusCode} {problem}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, problem!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        }

        var list = JsonNode.Parse(await Http.GetStringAsync("/messages?limit=10"))!["data"]!.AsArray();
        Assert.Empty(list);
    }

    [Fact]
    public async Task A_message_of_exactly_the_limit_without_its_own_message_id_or_date_is_accepted()
    {
        // SendApi adds the Message-ID and Date; those octets are ours, not the client's.
        var message = Message(Unique("edge"));
        message.Headers.Remove(HeaderId.Date);
        message.Headers.Remove(HeaderId.MessageId);
        var lines = new List<string>(Enumerable.Repeat(new string('b', 70), (MaxSize - 1000) / 72));
        var remaining = MaxSize - SizeWith(lines);
        while (remaining > 74)
        {
            lines.Add(new string('c', 70));
            remaining -= 72;
        }

        lines.Add(new string('d', remaining - 2));
        Assert.Equal(MaxSize, SizeWith(lines));

        var (response, body) = await PostRawAsync(Crlf(message));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(body?["id"]);

        int SizeWith(List<string> textLines)
        {
            message.Body = new TextPart("plain") { Text = string.Join("\n", textLines) };
            return Crlf(message).Length;
        }
    }

    [Fact]
    public async Task A_message_without_recipients_or_with_a_bad_address_names_the_header()
    {
        var noRecipients = Message(Unique("x"));
        noRecipients.To.Clear();

        var (none, noneProblem) = await PostRawAsync(Crlf(noRecipients));
        var (bad, badProblem) = await PostRawAsync(Crlf(Message(Unique("x"))), "message/rfc822", ("X-SendApi-To", "not an address"));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (none.StatusCode, bad.StatusCode));
        Assert.NotNull(noneProblem!["errors"]!["To"]);
        Assert.NotNull(badProblem!["errors"]!["X-SendApi-To"]);
    }

    [Fact]
    public async Task An_idempotency_key_replays_the_same_message_and_refuses_a_different_one()
    {
        var to = Unique("idem");
        var message = Message(to);
        message.MessageId = "raw-1@acme.test";
        message.Date = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        var key = ("Idempotency-Key", $"raw-{Guid.NewGuid():N}");

        var (first, firstBody) = await PostRawAsync(Crlf(message), "message/rfc822", key);
        var (again, againBody) = await PostRawAsync(Crlf(message), "message/rfc822", key);
        message.Subject = "changed";
        var (other, _) = await PostRawAsync(Crlf(message), "message/rfc822", key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Conflict), (first.StatusCode, again.StatusCode, other.StatusCode));
        Assert.Equal((string?)firstBody!["id"], (string?)againBody!["id"]);
        Assert.Equal(["true"], again.Headers.GetValues("Idempotent-Replayed"));
    }
}

public sealed class EmbeddedRawMessageTests(DeliveryWorld world) : RawMessageTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => false;
}

public sealed class RedisRawMessageTests(DeliveryWorld world) : RawMessageTests(world), IClassFixture<DeliveryWorld>
{
    protected override bool OnRedis => true;
}
