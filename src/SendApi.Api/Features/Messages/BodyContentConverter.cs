using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// Reads a JSON string into a <see cref="BodyContent"/> as unescaped UTF-8, without a .NET string
/// in between; writes it back as a JSON string, exactly as the string would have been written (the
/// Idempotency-Key's request fingerprint hashes that form).
/// </summary>
internal sealed class BodyContentConverter : JsonConverter<BodyContent>
{
    public override BodyContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("Expected a string.");
        }

        // Unescaping only shortens: the raw length is enough. A value that shrank a lot (mostly
        // \uXXXX escapes) is copied to its own length rather than hold up to six times its size.
        var raw = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        // Pooled: POST /messages gives it back once the message is stored (BodyContent.Release);
        // anywhere else the collector takes it, as it would a new array.
        var utf8 = ArrayPool<byte>.Shared.Rent(raw);
        int length;
        try
        {
            length = reader.CopyString(utf8);
        }
        catch (InvalidOperationException ex)
        {
            ArrayPool<byte>.Shared.Return(utf8);
            // An escaped lone surrogate (\ud800): not text, as reading it into a string says too.
            throw new JsonException("The string is not valid Unicode.", ex);
        }

        // The reader does not check the UTF-8 of a value it does not transcode; a string did.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.AsSpan(0, length)))
        {
            ArrayPool<byte>.Shared.Return(utf8);
            throw new JsonException("The string is not valid UTF-8.");
        }

        if (length < raw * 3L / 4)
        {
            var exact = utf8.AsSpan(0, length).ToArray();
            ArrayPool<byte>.Shared.Return(utf8);
            return BodyContent.FromUtf8(exact, length);
        }

        return BodyContent.FromPooledUtf8(utf8, length);
    }

    public override void Write(Utf8JsonWriter writer, BodyContent value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Utf8);
}
