using System.Buffers;
using System.Text;
using System.Text.Json;
using SendApi.Api;
using SendApi.Api.Features.Messages;

namespace SendApi.UnitTests.Api;

/// <summary>
/// <c>text</c> and <c>html</c> are read as UTF-8 (<see cref="BodyContent"/>) rather than as strings:
/// what a client sees must not change, in the body that goes out, the errors it gets, or the
/// request an Idempotency-Key is bound to.
/// </summary>
public sealed class BodyContentTests
{
    private static readonly JsonSerializerOptions Api = ApiJson();

    // Escapes of every kind, non-ASCII of two, three and four bytes, and a quote.
    public static readonly TheoryData<string> Bodies = new()
    {
        "plain ascii",
        "line one\nline two\r\n\ttabbed",
        "caf\u00e9 \u20ac \U0001F600 \"quoted\" back\\slash </script> <p>&amp;</p>",
        "",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_body_is_read_as_the_utf8_of_the_string_the_client_sent(string text)
    {
        // The client library may escape anything; the serializer's own escaping covers the usual.
        var request = JsonSerializer.Deserialize<SendMessageRequest>($"{{\"text\":{JsonSerializer.Serialize(text)},\"html\":\"{EscapeAll(text)}\"}}", Api)!;

        Assert.Equal(Encoding.UTF8.GetBytes(text), request.Text!.Utf8.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes(text), request.Html!.Utf8.ToArray());
        Assert.Equal(text, request.Html.ToString());
        Assert.Equal(text.Length == 0, request.Text.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_body_is_written_back_as_its_string_was_so_the_idempotency_fingerprint_is_the_same(string text)
    {
        var read = JsonSerializer.Deserialize<SendMessageRequest>($"{{\"text\":\"{EscapeAll(text)}\"}}", Api)!;
        var given = new SendMessageRequest { Text = text };

        // RequestFingerprint hashes the request written with default options, as it did the string.
        Assert.Equal(JsonSerializer.Serialize(new { Text = text }), JsonSerializer.Serialize(new { read.Text }));
        Assert.Equal(RequestFingerprint.OfJson("POST /messages", given), RequestFingerprint.OfJson("POST /messages", read));
    }

    [Fact]
    public void A_body_split_across_the_request_buffers_is_read_whole()
    {
        var text = string.Concat(Enumerable.Repeat("x\u00e9\n", 5000));
        var json = Encoding.UTF8.GetBytes($"{{\"text\":{JsonSerializer.Serialize(text)}}}");
        var reader = new Utf8JsonReader(InChunks(json, 1000));

        var request = JsonSerializer.Deserialize<SendMessageRequest>(ref reader, Api)!;

        Assert.Equal(text, request.Text!.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe })]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' })]
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 })]
    public void A_body_that_is_not_unicode_is_refused_at_its_field(byte[] value)
    {
        byte[] json = [.. "{\"html\":\""u8, .. value, .. "\"}"u8];

        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<SendMessageRequest>(json, Api));

        Assert.Equal("$.html", error.Path);
    }

    [Fact]
    public void A_body_that_is_not_a_string_is_refused_as_a_string_field_is()
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<SendMessageRequest>("{\"text\":5}", Api));

        Assert.Equal(new Dictionary<string, string[]> { ["text"] = ["must be a string"] }, SendApi.Api.Http.JsonBodyErrors.Describe(error, typeof(SendMessageRequest), Api));
    }

    [Fact]
    public void Bodies_are_equal_by_content_and_hashed_by_length_alone()
    {
        var read = JsonSerializer.Deserialize<SendMessageRequest>("{\"text\":\"caf\\u00e9\"}", Api)!;

        Assert.Equal("caf\u00e9", read.Text);
        Assert.NotEqual("cafe", read.Text);
        Assert.Equal(5, read.Text!.GetHashCode());
    }

    [Fact]
    public void A_body_whose_buffer_went_back_to_the_pool_is_not_read_again()
    {
        var read = JsonSerializer.Deserialize<SendMessageRequest>($"{{\"text\":{JsonSerializer.Serialize(new string('x', 100_000))}}}", Api)!;
        Assert.Equal(100_000, read.Text!.Utf8.Length);

        read.Text.Release();

        // Another request may hold the array now: reading it would be reading that request's body.
        Assert.Throws<ObjectDisposedException>(() => read.Text.Utf8.Length);
        Assert.Throws<ObjectDisposedException>(() => read.Text.ToString());
    }

    [Fact]
    public void A_body_given_as_a_string_keeps_its_bytes_when_released()
    {
        var given = new SendMessageRequest { Text = "Hi" };

        given.Text!.Release();

        Assert.Equal("Hi"u8.ToArray(), given.Text.Utf8.ToArray());
    }

    private static string EscapeAll(string text) =>
        string.Concat(text.Select(c => $"\\u{(int)c:x4}"));

    private static JsonSerializerOptions ApiJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServiceCollectionExtensions.ConfigureJson(options);
        return options;
    }

    private static ReadOnlySequence<byte> InChunks(byte[] bytes, int size)
    {
        Chunk? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += size)
        {
            var chunk = new Chunk(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)), i);
            first ??= chunk;
            last?.Link(chunk);
            last = chunk;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex) => (Memory, RunningIndex) = (memory, runningIndex);

        public void Link(Chunk next) => Next = next;
    }
}
